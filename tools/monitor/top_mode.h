// `slurp-monitor --top`: the TopView (top_view.h) redrawn in place, with
// status polled once per --refresh-ms (StatusPoller) and the event stream
// consumed in between (recent failures, starting with those the nodes
// still keep).
//
// On a terminal: the alternate screen, redrawn on every status answer,
// every refresh and every resize; q (or Ctrl-C, SIGTERM, SIGHUP) quits and
// gives the screen back. Not on a terminal: each status answer prints the
// whole view as plain text, frames separated by a line "---", for logs
// and scripts (--frames 1 is a one-shot snapshot).
//
// Threads: the calling thread, plus the poller's own.
#pragma once

#include <string>
#include <vector>
#include <zmq.hpp>

#include "src/client/event_stream.h"
#include "src/client/tool_config.h"
#include "tools/monitor/options.h"

namespace slurp::monitor {

int run_top(zmq::context_t& context, const client::ToolConfig& tool,
            const std::vector<std::string>& nodes, client::EventStream& stream,
            const Options& options);

}  // namespace slurp::monitor
