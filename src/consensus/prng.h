// A small deterministic PRNG (splitmix64) for election timeouts. The core
// may not use global randomness: one seed must decide a whole simulated
// run, and each node mixes its id in so peers draw different timeouts.
// Not for cryptography. One owner thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace slurp::consensus {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform enough in [lo, hi) for timeouts; requires hi > lo.
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) {
    return lo + next() % (hi - lo);
  }

 private:
  std::uint64_t state_;
};

// FNV-1a: stable across platforms, unlike std::hash.
inline std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace slurp::consensus
