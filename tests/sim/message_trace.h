// How a Raft message appears in the trace: a kind ("append", "pre_vote",
// ...) and its telling fields. Pure; any thread.
#pragma once

#include <string_view>
#include <vector>

#include "src/consensus/raft.h"
#include "tests/sim/trace.h"

namespace slurp::sim {

struct MessageTrace {
  std::string_view kind;
  std::vector<TraceField> fields;
};

MessageTrace trace_message(const consensus::RaftMessage& message);

}  // namespace slurp::sim
