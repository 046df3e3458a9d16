#include "src/node/loop_turns.h"

#include <algorithm>

namespace slurp::node {
namespace {

constexpr std::uint64_t us_per_s = 1000000;

std::uint64_t ceil_ms(std::uint64_t us) {
  return (us + 999) / 1000;
}

}  // namespace

void LoopTurns::record(std::uint64_t steady_now_us, std::uint64_t work_us) {
  ++turns_;
  max_us_ = std::max(max_us_, work_us);
  const std::uint64_t second = steady_now_us / us_per_s;
  Second& slot = seconds_[second % seconds_.size()];
  if (slot.second != second) slot = Second{second, 0};  // a second gone by
  slot.max_us = std::max(slot.max_us, work_us);
}

std::uint64_t LoopTurns::max_ms() const {
  return ceil_ms(max_us_);
}

std::uint64_t LoopTurns::recent_max_ms(std::uint64_t steady_now_us) const {
  const std::uint64_t now_second = steady_now_us / us_per_s;
  std::uint64_t max_us = 0;
  for (const Second& slot : seconds_) {
    // Slots of seconds that ended more than the window ago are stale: the
    // ring is overwritten only by turns, and an idle node records few.
    if (slot.second + seconds_.size() > now_second) {
      max_us = std::max(max_us, slot.max_us);
    }
  }
  return ceil_ms(max_us);
}

}  // namespace slurp::node
