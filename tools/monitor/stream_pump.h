// One turn of the loop that feeds an EventFollower: what the SUB sockets
// hold, then one fetch_events round if a gap is being filled. The stream
// is drained in bounded batches, so a busy node can neither starve the
// fetch nor the other way round.
//
// Threads: the thread that owns the stream and the follower.
#pragma once

#include <chrono>
#include <cstddef>

#include "src/client/event_stream.h"
#include "tools/monitor/event_follower.h"

namespace slurp::monitor {

// Items taken from the stream per turn before a fetch round gets its go.
inline constexpr std::size_t pump_items_max = 256;

// Waits up to `wait` for the first item (not at all while fetching), then
// takes what is ready, up to pump_items_max, and runs one fetch round.
void pump(client::EventStream& stream, EventFollower& follower,
          std::chrono::milliseconds wait);

}  // namespace slurp::monitor
