// Read-index (§6.4): a linearizable read without a log entry. The leader
// notes its commit index, proves it is still leader with a round of
// heartbeats a majority answers, and only then releases the ReadState.
//
// A round is identified per follower by seq: the read needs, from a
// majority, an answer to a message sent at or after the read was started
// (acked_seq >= round_seq). Reads complete in order, so the queue is
// drained from the front.
#include "src/consensus/raft_state.h"

namespace slurp::consensus {

Status Raft::State::read_index(std::uint64_t request_id) {
  if (role != RaftRole::leader) {
    return make_error(ErrorCode::not_leader, "not the leader", leader_id);
  }
  if (pending_reads.size() >= config.pending_reads_max) {
    return make_error(ErrorCode::queue_full, "too many pending reads");
  }
  pending_reads.push_back(PendingRead{request_id, 0, false, {}});
  start_read_rounds();
  return ok_status();
}

// A new leader's commit index may lag the true one until it commits an
// entry of its own term (§6.4 step 1), so reads wait for that.
bool Raft::State::committed_in_term() const {
  return log.term_at(commit) == term;
}

void Raft::State::start_read_rounds() {
  if (role != RaftRole::leader || !committed_in_term()) return;
  bool started_any = false;
  for (PendingRead& r : pending_reads) {
    if (r.started) continue;
    r.started = true;
    r.index = commit;
    r.round_seq.resize(peers.size());
    for (std::size_t p = 0; p < peers.size(); ++p) {
      r.round_seq[p] = progress[p].next_seq;  // the heartbeat sent below
    }
    started_any = true;
  }
  if (started_any) broadcast_heartbeat();
  confirm_reads();
}

void Raft::State::confirm_reads() {
  while (!pending_reads.empty() && pending_reads.front().started) {
    const PendingRead& r = pending_reads.front();
    std::size_t acks = 1;  // ourselves
    for (std::size_t p = 0; p < peers.size(); ++p) {
      if (progress[p].acked_seq >= r.round_seq[p]) ++acks;
    }
    if (acks < quorum) return;
    reads_ready.push_back(ReadState{r.request_id, r.index});
    pending_reads.pop_front();
  }
}

}  // namespace slurp::consensus
