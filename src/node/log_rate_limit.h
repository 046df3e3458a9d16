// At most N log lines a second for one kind of line that input can cause
// at will (refused requests), and how many were left out: a flood of bad
// requests must not turn into a flood of disk writes.
//
// Sans-IO (the caller passes the time). Threads: the owner's only.
#pragma once

#include <cstdint>

namespace slurp::node {

class LogRateLimit {
 public:
  explicit LogRateLimit(std::uint64_t lines_per_s)
      : lines_per_s_(lines_per_s) {}

  // Whether one more line may be written now. When a new second begins
  // after lines were left out, *left_out gets their count (else 0), for
  // the caller to say so once.
  bool allow(std::uint64_t now_ms, std::uint64_t* left_out) {
    *left_out = 0;
    if (now_ms >= window_start_ms_ + 1000) {
      *left_out = suppressed_;
      suppressed_ = 0;
      lines_ = 0;
      window_start_ms_ = now_ms;
    }
    if (lines_ < lines_per_s_) {
      ++lines_;
      return true;
    }
    ++suppressed_;
    return false;
  }

 private:
  std::uint64_t lines_per_s_;
  std::uint64_t window_start_ms_ = 0;
  std::uint64_t lines_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace slurp::node
