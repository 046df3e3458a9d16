#include "src/node/loop_turns.h"

#include <catch2/catch.hpp>

namespace slurp::node {
namespace {

constexpr std::uint64_t kSecondUs = 1000000;
// Any steady time far from 0, as a real steady clock's is.
constexpr std::uint64_t kStartUs = 5000 * kSecondUs;

TEST_CASE("nothing recorded reads 0", "[loop_turns]") {
  LoopTurns turns;
  CHECK(turns.max_ms() == 0);
  CHECK(turns.recent_max_ms(kStartUs) == 0);
  CHECK(turns.turns() == 0);
}

TEST_CASE("turns are reported in whole ms, rounded up", "[loop_turns]") {
  LoopTurns turns;
  turns.record(kStartUs, 1);
  CHECK(turns.max_ms() == 1);
  turns.record(kStartUs + 10, 2000);
  CHECK(turns.max_ms() == 2);
  turns.record(kStartUs + 20, 2001);
  CHECK(turns.max_ms() == 3);
  CHECK(turns.recent_max_ms(kStartUs + 30) == 3);
  CHECK(turns.turns() == 3);
}

TEST_CASE("the recent maximum forgets a stall after the window",
          "[loop_turns]") {
  LoopTurns turns;
  turns.record(kStartUs, 80000);  // one 80 ms stall
  // Then short turns every 100 ms for longer than the window.
  const std::uint64_t window_us = limits::loop_turn_window_s * kSecondUs;
  std::uint64_t now = kStartUs;
  while (now < kStartUs + window_us - kSecondUs) {
    now += 100000;
    turns.record(now, 500);
    REQUIRE(turns.recent_max_ms(now) == 80);
  }
  while (now < kStartUs + window_us + kSecondUs) {
    now += 100000;
    turns.record(now, 500);
  }
  CHECK(turns.recent_max_ms(now) == 1);
  CHECK(turns.max_ms() == 80);  // the all-time maximum keeps it
}

TEST_CASE("an idle stretch leaves no stale seconds behind", "[loop_turns]") {
  LoopTurns turns;
  turns.record(kStartUs, 40000);
  turns.record(kStartUs + 3 * kSecondUs, 7000);
  CHECK(turns.recent_max_ms(kStartUs + 3 * kSecondUs) == 40);
  // No turn for a whole window (a node stopped in a debugger): the slots
  // still hold old seconds, which must not count.
  const std::uint64_t later =
      kStartUs + (limits::loop_turn_window_s + 5) * kSecondUs;
  CHECK(turns.recent_max_ms(later) == 0);
  turns.record(later, 3000);
  CHECK(turns.recent_max_ms(later) == 3);
}

}  // namespace
}  // namespace slurp::node
