// The node shell's two clocks. Timers use the steady clock (never jumps);
// what is stamped into commands, events and replies uses the wall clock
// (Unix epoch ms), which is what PROTOCOL.md's *_ms fields mean. The cores
// never read either: time reaches them as ticks or inside commands.
// Any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace slurp::node {

inline std::uint64_t steady_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch())
          .count());
}

inline std::uint64_t wall_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch())
          .count());
}

}  // namespace slurp::node
