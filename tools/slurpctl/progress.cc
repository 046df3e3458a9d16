#include "tools/slurpctl/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace slurpctl {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kBarRedraw = std::chrono::milliseconds(100);
constexpr auto kLinesEvery = std::chrono::seconds(2);

int terminal_columns() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) {
    return ws.ws_col;
  }
  return 80;
}

std::string seconds_text(double s) {
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%dh%02dm", static_cast<int>(s / 3600),
                  static_cast<int>(s / 60) % 60);
  } else if (s >= 60) {
    std::snprintf(buffer, sizeof buffer, "%dm%02ds", static_cast<int>(s / 60),
                  static_cast<int>(s) % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0fs", s);
  }
  return buffer;
}

}  // namespace

ProgressStyle progress_style(const std::string& flag) {
  if (flag == "bar") return ProgressStyle::bar;
  if (flag == "lines") return ProgressStyle::lines;
  if (flag == "none") return ProgressStyle::none;
  return isatty(STDERR_FILENO) ? ProgressStyle::bar : ProgressStyle::lines;
}

Progress::Progress(ProgressStyle style, std::string what, std::uint64_t total)
    : style_(style),
      what_(std::move(what)),
      total_(total),
      start_(Clock::now()),
      last_draw_(Clock::time_point{}) {}

std::string Progress::line(std::uint64_t done, const std::string& note,
                           bool bar) const {
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  char counts[160];
  std::snprintf(counts, sizeof counts, "%llu/%llu %s%s%s  %.0f/s",
                static_cast<unsigned long long>(done),
                static_cast<unsigned long long>(total_), what_.c_str(),
                note.empty() ? "" : ", ", note.c_str(), rate);
  std::string text = counts;
  if (done < total_ && rate > 0) {
    text += "  ETA " + seconds_text(static_cast<double>(total_ - done) / rate);
  } else if (done >= total_) {
    text += "  in " + seconds_text(elapsed);
  }
  if (!bar) return text;
  const int width = std::max(
      10, std::min(40, terminal_columns() - static_cast<int>(text.size()) - 4));
  const int filled = total_ == 0
                         ? width
                         : static_cast<int>(static_cast<double>(width) *
                                            static_cast<double>(done) /
                                            static_cast<double>(total_));
  return "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(width - filled), '.') + "] " +
         text;
}

void Progress::update(std::uint64_t done, const std::string& note) {
  const auto now = Clock::now();
  if (style_ == ProgressStyle::bar) {
    if (now - last_draw_ < kBarRedraw) return;
    last_draw_ = now;
    // \r and clear-to-end: the bar rewrites itself in place.
    std::cerr << "\r" << line(done, note, true) << "\x1b[K" << std::flush;
  } else if (style_ == ProgressStyle::lines) {
    if (now - last_draw_ < kLinesEvery || done == last_lines_done_) return;
    last_draw_ = now;
    last_lines_done_ = done;
    std::cerr << "slurpctl: " << line(done, note, false) << "\n";
  }
}

void Progress::finish(std::uint64_t done, const std::string& note) {
  if (style_ == ProgressStyle::bar) {
    std::cerr << "\r" << line(done, note, true) << "\x1b[K\n";
  } else if (style_ == ProgressStyle::lines) {
    std::cerr << "slurpctl: " << line(done, note, false) << "\n";
  }
}

}  // namespace slurpctl
