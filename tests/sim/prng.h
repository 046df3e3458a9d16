// The simulator's only source of randomness. One Prng is seeded from the
// run's seed and every random choice of the run (network fates, faults,
// client timing, Raft seeds, crash tearing) is drawn from it in event
// order, so a seed replays a run exactly.
//
// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): tiny, fast, passes BigCrush, and its whole
// state is one integer, which makes a run's start state obvious.
//
// Threads: one owner thread.
#pragma once

#include <cassert>
#include <cstdint>

#include "src/consensus/prng.h"

namespace slurp::sim {

class Prng {
 public:
  explicit Prng(std::uint64_t seed) : source_(seed) {}

  // The core's generator: one algorithm for the whole run.
  std::uint64_t next() { return source_.next(); }

  // Uniform in [0, bound). Multiply-shift instead of modulo: the bias is
  // below 2^-32 for the small bounds used here, and it is one multiply.
  std::uint64_t below(std::uint64_t bound) {
    assert(bound > 0);
    return static_cast<std::uint64_t>(
        (static_cast<unsigned __int128>(next()) * bound) >> 64);
  }

  // Uniform in [low, high], both included.
  std::uint64_t between(std::uint64_t low, std::uint64_t high) {
    assert(low <= high);
    return low + below(high - low + 1);
  }

  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  bool chance(double probability) { return unit() < probability; }

 private:
  consensus::SplitMix64 source_;
};

}  // namespace slurp::sim
