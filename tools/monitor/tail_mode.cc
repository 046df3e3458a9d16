#include "tools/monitor/tail_mode.h"

#include <unistd.h>

#include <chrono>
#include <iostream>

#include "tools/monitor/event_follower.h"
#include "tools/monitor/event_render.h"
#include "tools/monitor/stream_pump.h"

namespace slurp::monitor {
namespace {

using Clock = std::chrono::steady_clock;

// How long one wait lasts when no --timeout-ms bounds it.
constexpr std::chrono::milliseconds idle_wait{1000};

class TailPrinter final : public FollowerSink {
 public:
  TailPrinter(const Options& options, RenderStyle style)
      : options_(options), style_(style) {}

  bool done() const { return options_.count > 0 && printed_ >= options_.count; }
  Clock::time_point last_print() const { return last_print_; }

  void event(const Event& event, bool fetched) override {
    if (!done() && options_.filter.matches(event)) {
      emit(render_event(event, fetched, style_), true);
    }
  }
  void beacon(const Beacon& beacon) override {
    if (!done() && options_.filter.wants_beacons()) {
      emit(render_beacon(beacon, style_), true);
    }
  }
  // Gap notices are about a node's whole sequence: noise when only one
  // job's or address's events are asked for.
  void gap(const std::string& node, std::uint64_t from,
           std::uint64_t to) override {
    if (notices()) emit(render_gap(node, from, to, style_), false);
  }
  void lost(const std::string& node, std::uint64_t from, std::uint64_t to,
            std::uint64_t first_available) override {
    if (notices()) {
      emit(render_lost(node, from, to, first_available, style_), false);
    }
  }
  void restart(const std::string& node, std::uint64_t seq,
               std::uint64_t previous) override {
    if (notices()) emit(render_restart(node, seq, previous, style_), false);
  }
  void problem(const std::string& node, const std::string& text) override {
    std::cerr << "slurp-monitor: " << node << ": " << text << "\n";
  }

 private:
  bool notices() const {
    return !done() && !options_.filter.narrows_by_attrs();
  }
  void emit(const std::string& line, bool counts) {
    std::cout << line << "\n" << std::flush;  // a pipe sees it at once
    if (counts) {
      ++printed_;
      last_print_ = Clock::now();
    }
  }

  const Options& options_;
  const RenderStyle style_;
  std::uint64_t printed_ = 0;
  Clock::time_point last_print_ = Clock::now();
};

}  // namespace

int run_tail(zmq::context_t& context, const client::ToolConfig& tool,
             const std::vector<std::string>& nodes, client::EventStream& stream,
             const Options& options) {
  RenderStyle style;
  style.json = options.json;
  style.color = !options.json &&
                use_color(options.color, STDOUT_FILENO, config::process_getenv);
  TailPrinter printer(options, style);
  EventFollower follower(context, tool, nodes, options.history, printer);
  const std::chrono::milliseconds timeout(options.timeout_ms);
  while (!printer.done()) {
    auto wait = idle_wait;
    if (options.timeout_ms > 0) {
      wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          printer.last_print() + timeout - Clock::now());
      if (wait.count() <= 0) {
        std::cerr << "slurp-monitor: nothing for " << options.timeout_ms
                  << " ms\n";
        return exit_timeout;
      }
    }
    pump(stream, follower, std::min(wait, idle_wait));
  }
  return exit_ok;
}

}  // namespace slurp::monitor
