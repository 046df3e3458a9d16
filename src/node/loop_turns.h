// How long the node loop's turns take: the longest since the node started
// and the longest within the last limits::loop_turn_window_s seconds, for
// status (loop_turn_max_ms, loop_turn_recent_max_ms). A turn that runs
// longer than an election timeout lets followers elect someone else, so
// this is the figure to watch when a cluster changes leader under load.
//
// A turn's time is the work it did: the caller leaves out the time the
// turn spent blocked in zmq_poll waiting for something to do.
//
// The recent maximum is one maximum per second in a ring of
// loop_turn_window_s slots: constant memory and O(window) to read, which
// status does rarely. Sans-IO: the caller passes the time, so tests need
// no clock.
//
// Threads: the node thread only.
#pragma once

#include <array>
#include <cstdint>

#include "protocol/limits.h"

namespace slurp::node {

class LoopTurns {
 public:
  // One turn that did `work_us` of work and ended at `steady_now_us`.
  void record(std::uint64_t steady_now_us, std::uint64_t work_us);
  // In whole ms, rounded up: a budget figure should never read lower than
  // what happened, and any recorded turn reads at least 1.
  std::uint64_t max_ms() const;
  // The longest turn that ended within the window before `steady_now_us`;
  // 0 when none did.
  std::uint64_t recent_max_ms(std::uint64_t steady_now_us) const;
  std::uint64_t turns() const { return turns_; }

 private:
  struct Second {
    std::uint64_t second = 0;  // steady seconds of the turns counted here
    std::uint64_t max_us = 0;  // 0: no turn in it yet
  };
  std::uint64_t max_us_ = 0;
  std::uint64_t turns_ = 0;
  std::array<Second, limits::loop_turn_window_s> seconds_{};
};

}  // namespace slurp::node
