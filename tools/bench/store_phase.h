// The store phase of slurp-bench: how a cluster holds up as the store
// grows. On a fresh 3-node cluster with no workers it
//   1. stores --contexts synthetic contexts (synthetic_context.h, about
//      2 KB encoded each) with update_context, `clients` x `pipeline` in
//      flight, in two halves; every node's VmRSS is read before, between
//      and after them;
//   2. gets --gets random stored addresses one at a time from the leader
//      (linearizable reads);
//   3. pages through `list` over the whole prefix, 500 at a time, as
//      `slurpctl export` does;
//   4. SIGKILLs a follower and starts it again with `tools/cluster
//      restart`, and polls its own status until it names a leader, then
//      until it has caught up with the leader's commit index.
// A StatusSampler polls every node's own status throughout 1-3 for the
// loop turn figures and the term.
//
// rss_per_stored_context_bytes is the largest over the nodes of (RSS after
// - RSS between the halves) / contexts stored in the second half: what
// stays fixed once the cluster runs (code, caches that have filled,
// bounded queues) cancels out, and what grows with the store does not.
//
// Call from the main thread.
#pragma once

#include <cstdint>
#include <zmq.hpp>

#include "src/client/tool_config.h"
#include "tools/bench/load_driver.h"
#include "tools/bench/local_cluster.h"

namespace slurp::bench {

struct StoreRun {
  const LocalCluster* cluster = nullptr;
  client::ToolConfig tool;  // dev's key
  client::NodeTarget leader;
  // Endpoint, keys, clients and pipeline; the phase sets the rest.
  LoadOptions load;
  std::uint64_t contexts = 1000000;
  std::uint64_t gets = 10000;
  std::uint64_t term_start = 0;  // the leader's term when the phase began
};

// Prints the figures (README "Benchmarks"). False when nothing could be
// stored or measured.
bool run_store(zmq::context_t& context, const StoreRun& run);

}  // namespace slurp::bench
