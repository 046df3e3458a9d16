#include "tools/monitor/top_mode.h"

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <optional>

#include "src/clock/clocks.h"
#include "tools/monitor/ansi.h"
#include "tools/monitor/event_follower.h"
#include "tools/monitor/status_poller.h"
#include "tools/monitor/stream_pump.h"
#include "tools/monitor/terminal.h"
#include "tools/monitor/top_view.h"

namespace slurp::monitor {
namespace {

using Clock = std::chrono::steady_clock;

// How often keys and signals are looked at.
constexpr std::chrono::milliseconds input_wait{100};

// Failures come from the events; the rest of the view from status.
class TopSink final : public FollowerSink {
 public:
  explicit TopSink(TopView& view) : view_(view) {}
  void event(const Event& event, bool) override { view_.on_event(event); }
  void beacon(const Beacon&) override {}
  void gap(const std::string&, std::uint64_t, std::uint64_t) override {}
  void lost(const std::string&, std::uint64_t, std::uint64_t,
            std::uint64_t) override {}
  void restart(const std::string&, std::uint64_t, std::uint64_t) override {}
  // stderr would write over the screen.
  void problem(const std::string&, const std::string&) override {}

 private:
  TopView& view_;
};

// Home, each line over the old one, then clear whatever is below. No
// newline after the last line: on the bottom row it would scroll.
std::string screen_frame(const std::vector<std::string>& lines) {
  std::string frame(ansi::home);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    frame += lines[i];
    frame += ansi::clear_to_end_of_line;
    if (i + 1 < lines.size()) frame += "\n";
  }
  frame += ansi::clear_to_end_of_screen;
  return frame;
}

std::optional<std::string> node_to_ask(const Options& options) {
  if (options.nodes.size() == 1) return options.nodes.front();
  return std::nullopt;
}

}  // namespace

int run_top(zmq::context_t& context, const client::ToolConfig& tool,
            const std::vector<std::string>& nodes, client::EventStream& stream,
            const Options& options) {
  const bool tty = is_terminal(STDOUT_FILENO);
  const bool color =
      use_color(options.color, STDOUT_FILENO, config::process_getenv);
  TopView view(tool.config_path.string());
  TopSink sink(view);
  // Always with history: the recent failures include those from before
  // the view opened.
  EventFollower follower(context, tool, nodes, true, sink);
  const std::chrono::milliseconds refresh(options.refresh_ms);
  StatusPoller poller(context, tool, node_to_ask(options), refresh);
  install_stop_signals();
  // After the poller: destroyed first, the screen is back before the
  // poller's last call ends.
  std::optional<FullScreen> screen;
  if (tty) screen.emplace(STDIN_FILENO, STDOUT_FILENO);
  std::uint64_t frames = 0;
  auto next_redraw = Clock::now();
  while (!stop_requested()) {
    bool draw = false;
    if (screen) {
      const std::optional<char> key = screen->key();
      if (key == 'q' || key == 'Q') break;
    }
    if (take_suspend()) {
      screen.reset();  // the shell gets its screen back while stopped
      suspend_until_continued();
      if (tty) screen.emplace(STDIN_FILENO, STDOUT_FILENO);
      draw = true;
    }
    if (auto sample = poller.take()) {
      view.on_status(*sample);
      draw = true;
    }
    // On a terminal the clock and ages move on without new answers.
    if (tty && (Clock::now() >= next_redraw || take_resize())) draw = true;
    if (draw) {
      const TerminalSize size = terminal_size(STDOUT_FILENO);
      const ViewSize view_size{static_cast<std::size_t>(size.columns),
                               tty ? static_cast<std::size_t>(size.rows) : 0};
      const auto lines =
          view.render(view_size, color, Clock::now(), wall_now_ms());
      if (screen) {
        screen->show(screen_frame(lines));
      } else {
        if (frames > 0) std::cout << "---\n";
        for (const std::string& line : lines) std::cout << line << "\n";
        std::cout << std::flush;
      }
      next_redraw = Clock::now() + refresh;
      if (++frames == options.frames) break;
    }
    pump(stream, follower, input_wait);
  }
  return exit_ok;
}

}  // namespace slurp::monitor
