// The audit log's two clocks: records are stamped with wall time (Unix
// epoch ms, what PROTOCOL.md's time_ms means); intervals (epochs, refusal
// aggregation, the writer's wakeups) use the steady clock, which never
// jumps. Any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace slurp::security::audit_clock {

inline std::uint64_t wall_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch())
          .count());
}

inline std::uint64_t steady_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch())
          .count());
}

}  // namespace slurp::security::audit_clock
