// When a failed job may run again: exponential back-off with jitter.
//
//   delay = base << min(attempt - 1, 6)      (so at most 64 x base)
//   delay += jitter, drawn from [0, delay / 2]
//
// Exponential so a job that keeps failing costs less and less; jittered so
// the jobs of one dead worker (all expiring together) do not all retry in
// the same instant. The leader computes it before proposing the fail
// command, so every node applies the same value. Pure; any thread.
#pragma once

#include <algorithm>
#include <cstdint>

namespace slurp::node {

inline constexpr std::uint64_t retry_backoff_doublings_max = 6;

// `unit_jitter` in [0, 1] picks the jitter (the caller draws it).
inline std::uint64_t retry_delay_ms(std::uint64_t base_ms,
                                    std::uint64_t attempt, double unit_jitter) {
  const std::uint64_t doublings = std::min<std::uint64_t>(
      attempt == 0 ? 0 : attempt - 1, retry_backoff_doublings_max);
  const std::uint64_t delay = base_ms << doublings;
  const double jitter =
      std::clamp(unit_jitter, 0.0, 1.0) * static_cast<double>(delay / 2);
  return delay + static_cast<std::uint64_t>(jitter);
}

}  // namespace slurp::node
