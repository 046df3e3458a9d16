// Progress of a long command: a bar redrawn in place on a terminal (with
// rate and ETA), plain lines now and then when output is a file or pipe,
// or nothing. Written to stderr so stdout stays clean for --json. Main
// thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace slurpctl {

enum class ProgressStyle { bar, lines, none };

// auto: bar on a terminal, lines otherwise.
ProgressStyle progress_style(const std::string& flag);

class Progress {
 public:
  Progress(ProgressStyle style, std::string what, std::uint64_t total);
  // `done` of total; `note` is shown after the counts (e.g. "1,200 acked").
  void update(std::uint64_t done, const std::string& note = "");
  // The final line, always shown (except with none).
  void finish(std::uint64_t done, const std::string& note = "");

 private:
  std::string line(std::uint64_t done, const std::string& note, bool bar) const;

  ProgressStyle style_;
  std::string what_;
  std::uint64_t total_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::uint64_t last_lines_done_ = 0;
};

}  // namespace slurpctl
