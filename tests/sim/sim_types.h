// Vocabulary shared by every part of the simulator (tests/sim): simulated
// time and node numbering. Plain data; the simulator runs on one thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slurp::sim {

// Simulated time in microseconds since the start of a run. Microseconds,
// not ticks, because links (about 1 ms) and fsyncs (1-5 ms) are far
// shorter than a Raft tick (10 ms) and their interleaving is the point.
using Micros = std::uint64_t;
inline constexpr Micros kMicrosPerMs = 1000;

// Nodes are numbered 0..N-1 inside the simulator; their Raft ids are
// "n1".."nN" (see node_name()).
using NodeIndex = std::size_t;

}  // namespace slurp::sim
