// slurp-monitor's default mode: one line (or JSON object) per event that
// passes the filter, as event_render.h describes, flushed at once so a
// pipe sees each line when it happens. Ends after --count lines, or with
// exit_timeout when --timeout-ms passes without one; otherwise runs until
// killed.
//
// Threads: the calling thread only.
#pragma once

#include <string>
#include <vector>
#include <zmq.hpp>

#include "src/client/event_stream.h"
#include "src/client/tool_config.h"
#include "tools/monitor/options.h"

namespace slurp::monitor {

int run_tail(zmq::context_t& context, const client::ToolConfig& tool,
             const std::vector<std::string>& nodes, client::EventStream& stream,
             const Options& options);

}  // namespace slurp::monitor
