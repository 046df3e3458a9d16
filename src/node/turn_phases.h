// Where one loop turn's time went, for the line a slow turn writes to the
// log. status reports how long the longest turn was (loop_turns.h); this
// says what it was doing: persisting the log, applying entries, committing
// contexts.db, snapshotting, or serving sockets. Without it a long turn is
// a number nobody can act on.
//
// TurnPhases is sans-IO; PhaseTimer measures a scope with the steady
// clock. The phases are the node shell's. The turn's CPU time goes beside
// them: a turn far longer than its CPU time waited for a core.
// Threads: the node thread only.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "src/clock/clocks.h"

namespace slurp::node {

enum class TurnPhase : std::uint8_t {
  sockets,       // draining and serving the API, results and peers
  pipeline,      // the leader's queue and dispatch
  persist,       // writing and fsyncing the Raft log
  apply,         // applying committed entries to the state machine
  store_commit,  // committing contexts.db
  snapshot,      // starting, adopting and installing snapshots
  trim,          // deleting the log rows a snapshot covers
  count,
};

class TurnPhases {
 public:
  void clear() { us_.fill(0); }
  void add(TurnPhase phase, std::uint64_t us) {
    us_[static_cast<std::size_t>(phase)] += us;
  }
  std::uint64_t us(TurnPhase phase) const {
    return us_[static_cast<std::size_t>(phase)];
  }
  // "persist 120.3 ms, apply 30.1 ms, other 2.0 ms": the phases that took
  // any time, then what no phase accounts for out of `turn_us`.
  std::string describe(std::uint64_t turn_us) const;

 private:
  std::array<std::uint64_t, static_cast<std::size_t>(TurnPhase::count)> us_{};
};

// Adds the time from construction to destruction to one phase. The one
// clock reading in this file: phases are measured where they happen.
class PhaseTimer {
 public:
  PhaseTimer(TurnPhases& phases, TurnPhase phase)
      : phases_(phases), phase_(phase) {}
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;
  ~PhaseTimer() {
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    phases_.add(
        phase_,
        static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(elapsed)
                .count()));
  }

 private:
  TurnPhases& phases_;
  TurnPhase phase_;
  std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
};

}  // namespace slurp::node
