// Asking "the cluster" rather than one node: the client side of
// protocol/PROTOCOL.md "Finding and following the leader" for one-shot
// tools. Tries nodes one after another until one answers, and follows a
// not_leader hint once.
//
// Threads: uses `context` from the calling thread only; each call makes
// and closes its own sockets.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "protocol/messages.h"
#include "protocol/result.h"
#include "src/client/tool_config.h"

namespace slurp::client {

struct ClusterCallOptions {
  // Only this node (and the leader it names, if it answers not_leader);
  // nullopt: every node in file order.
  std::optional<std::string> node;
  // Per node: the whole call, and the part spent waiting for a connection
  // (a node that is down costs only this). The default call timeout is
  // above the 5 s a follower holds a request while no leader is known, so
  // that no_quorum comes back as an answer rather than a timeout.
  std::chrono::milliseconds timeout_per_node{7000};
  std::chrono::milliseconds connect_timeout_per_node{1000};
};

struct ClusterAnswer {
  std::string node;      // id of the node that answered ("" if unknown)
  std::string endpoint;  // its api endpoint
  // The reply; an ErrorReply here is the cluster's answer (it was reached
  // and said no), as opposed to the Error of call_cluster.
  Message reply;
};

// Sends `request` to the nodes of `tool` in turn (or to options.node),
// moving on when a node does not answer in time, refuses our handshake, or
// answers unavailable, no_quorum or not_leader without a hint. A not_leader
// that names a leader is followed once, to that node's endpoint and key
// from the config (or the hinted endpoint when insecure). The first other
// answer is returned. When every node was tried, the last cluster answer
// is returned if there was one; otherwise the Error says, per node, why
// none answered (code: that of the last failure, e.g. timeout).
// options.node must name a node of `tool` (asserted: check it first).
Result<ClusterAnswer> call_cluster(zmq::context_t& context,
                                   const ToolConfig& tool,
                                   const Message& request,
                                   const ClusterCallOptions& options);

}  // namespace slurp::client
