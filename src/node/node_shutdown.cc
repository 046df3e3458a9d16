// Stopping well: a leader hands leadership to its most up-to-date live
// follower (timeout_now) before it exits, so the cluster is without a
// leader for about one round trip instead of an election timeout; requests
// in flight are answered, or forwarded to the successor.
#include <spdlog/spdlog.h>

#include "protocol/limits.h"
#include "src/node/node.h"

namespace slurp::node {

std::optional<std::string> Node::best_successor() const {
  std::optional<std::string> best;
  std::uint64_t best_match = 0;
  for (const auto& [id, p] : raft_->progress()) {
    if (!peer_healthy(id)) continue;
    if (!best || p.match_index > best_match) {
      best = id;
      best_match = p.match_index;
    }
  }
  return best;
}

void Node::begin_shutdown() {
  stopping_ = true;
  stop_deadline_ms_ = steady_now_ms() + limits::leadership_transfer_ms +
                      limits::forward_retry_ms;
  spdlog::info("stop requested");
  if (raft_->role() != consensus::RaftRole::leader || peers_.empty()) return;
  if (auto to = best_successor()) {
    Status s = raft_->transfer_leadership(*to);
    spdlog::info("handing leadership to {}: {}", *to,
                 s ? "started" : s.error().describe());
    audit("leader.transfer", options_.node_id,
          "to " + *to + (s ? "" : ": " + s.error().describe()));
  } else {
    spdlog::warn("no live follower to hand leadership to");
  }
}

bool Node::shutdown_done() {
  const std::uint64_t steady_now = steady_now_ms();
  const bool leading = raft_->role() == consensus::RaftRole::leader;
  bool drained = requests_.drained();
  if (leading && !peers_.empty()) {
    // The transfer gives up after an election timeout; try again (perhaps
    // with another follower) until the deadline.
    if (!raft_->transfer_target()) {
      if (auto to = best_successor()) {
        (void)raft_->transfer_leadership(*to);
      }
    }
    drained = false;
  }
  if (drained) return true;
  if (steady_now < stop_deadline_ms_) return false;
  // Out of time: whatever is left is told so, not left to time out.
  Error gone = make_error(ErrorCode::unavailable,
                          "the node is shutting down; retry on another node "
                          "with the same request_id");
  for (const ClientRequest& r : requests_.take_unanswered()) refuse(r, gone);
  return true;
}

}  // namespace slurp::node
