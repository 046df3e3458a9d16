// Elections (§3.4), pre-vote (§9.6), leader stickiness (§4.2.3),
// check-quorum (§6.2) and leadership transfer (§3.10).
//
// How disruptive candidates are kept out: a node whose election timer
// fires first runs a pre-vote at term + 1 without changing any term.
// Voters refuse a pre-vote while they have heard from a leader within
// election_ticks_min (stickiness), so a node that was partitioned away
// cannot get a majority and never bumps the cluster's term. Real votes are
// judged by term and log alone: a real Vote only exists after a won
// pre-vote (a majority lost its leader) or after timeout_now from the
// leader itself (§3.10). That is why transfer needs no flag on the wire:
// the transfer target skips pre-vote, and voters grant it because real
// votes are not subject to stickiness. A leader partitioned from a
// majority steps down through check-quorum.
#include <algorithm>

#include "src/consensus/raft_state.h"

namespace slurp::consensus {

void Raft::State::reset_election_timer() {
  election_elapsed = 0;
  election_timeout =
      rng.between(config.election_ticks_min, config.election_ticks_max);
}

void Raft::State::tick() {
  if (role == RaftRole::leader) return tick_leader();
  ++leader_contact_elapsed;
  if (++election_elapsed >= election_timeout) campaign(config.pre_vote);
}

void Raft::State::become_follower(std::uint64_t new_term,
                                  const NodeId& leader) {
  if (new_term > term) {
    term = new_term;
    voted_for.clear();
  }
  role = RaftRole::follower;
  leader_id = leader;
  if (!leader.empty()) leader_contact_elapsed = 0;
  progress.clear();
  transfer_target.reset();
  pending_reads.clear();
  reset_election_timer();
}

void Raft::State::become_leader() {
  role = RaftRole::leader;
  leader_id = config.id;
  progress.assign(peers.size(), FollowerProgress{});
  for (FollowerProgress& pr : progress) pr.become_probe(log.last_index() + 1);
  transfer_target.reset();
  pending_reads.clear();
  heartbeat_elapsed = 0;
  election_elapsed = 0;
  // Entries of earlier terms commit only under an entry of this term
  // (§3.6.2); the no-op lets that happen without waiting for a client.
  append_local(Raft::kNoOpKind, {});
}

void Raft::State::campaign(bool pre_vote) {
  if (pre_vote) {
    role = RaftRole::pre_candidate;
  } else {
    ++term;
    voted_for = config.id;
    role = RaftRole::candidate;
    ++counters.elections_started;
  }
  leader_id.clear();
  reset_election_timer();
  votes.assign(peers.size(), 0);
  if (quorum == 1) return pre_vote ? campaign(false) : become_leader();
  const std::uint64_t vote_term = pre_vote ? term + 1 : term;
  for (const NodeId& peer : peers) {
    send(peer, Vote{vote_term, config.id, log.last_index(), log.last_term(),
                    pre_vote});
  }
}

bool Raft::State::in_lease() const {
  if (role == RaftRole::leader) return true;
  return !leader_id.empty() &&
         leader_contact_elapsed < config.election_ticks_min;
}

// §3.6.1: the candidate's log is at least as up to date as ours.
bool Raft::State::log_up_to_date(std::uint64_t last_index,
                                 std::uint64_t last_term) const {
  if (last_term != log.last_term()) return last_term > log.last_term();
  return last_index >= log.last_index();
}

void Raft::State::on_vote(const Vote& m) {
  const bool up_to_date = log_up_to_date(m.last_log_index, m.last_log_term);
  if (m.pre_vote) {
    // Granting changes nothing here; the reply carries the asked term.
    const bool grant = m.term > term && up_to_date && !in_lease();
    send(m.candidate, VoteReply{grant ? m.term : term, config.id, grant, true});
    return;
  }
  // step() has brought us to m.term. Once we know this term's leader we
  // vote for no one else in it.
  bool can_vote =
      voted_for == m.candidate || (voted_for.empty() && leader_id.empty());
  if (fault == Fault::double_vote && role == RaftRole::follower) {
    can_vote = true;  // test fault: ignore the one-vote-per-term rule
  }
  const bool grant = can_vote && up_to_date;
  if (grant) {
    voted_for = m.candidate;  // lands in this Ready's hard_state
    reset_election_timer();
  }
  send(m.candidate, VoteReply{term, config.id, grant, false});
}

void Raft::State::on_vote_reply(const VoteReply& m) {
  const std::size_t p = *peer_index(m.voter);
  if (m.pre_vote) {
    if (role != RaftRole::pre_candidate) return;
    // A grant must be for the term we asked about; a refusal at a higher
    // term already made us a follower in step().
    if (m.granted && m.term != term + 1) return;
  } else if (role != RaftRole::candidate || m.term != term) {
    return;
  }
  votes[p] = m.granted ? 1 : -1;
  std::size_t granted = 1, refused = 0;  // we vote for ourselves
  for (int v : votes) {
    if (v > 0) ++granted;
    if (v < 0) ++refused;
  }
  if (granted >= quorum) {
    return m.pre_vote ? campaign(false) : become_leader();
  }
  if (refused > config.members.size() - quorum) {
    become_follower(term, NodeId{});
  }
}

void Raft::State::on_timeout_now(const TimeoutNow& m) {
  // Only the leader of our term may hand over; a leader receiving one in
  // its own term means two leaders, which cannot be (drop).
  if (role == RaftRole::leader ||
      (!leader_id.empty() && leader_id != m.leader)) {
    return drop();
  }
  // §3.10: start at once and skip pre-vote; voters know the leader is alive
  // and would refuse a pre-vote, while a real vote is judged on the log.
  campaign(false);
}

// ---- leader timers
// --------------------------------------------------------------

void Raft::State::tick_leader() {
  ++heartbeat_elapsed;
  ++election_elapsed;
  if (transfer_target && ++transfer_elapsed >= config.election_ticks_min) {
    transfer_target.reset();  // §3.10: give up and serve clients again
  }
  if (election_elapsed >= config.election_ticks_min) {
    election_elapsed = 0;
    check_quorum();
    if (role != RaftRole::leader) return;
  }
  if (heartbeat_elapsed >= config.heartbeat_ticks) {
    heartbeat_elapsed = 0;
    broadcast_heartbeat();
  }
}

// §6.2: a leader that has not heard from a majority within an election
// timeout may be partitioned away; it steps down so clients look elsewhere.
void Raft::State::check_quorum() {
  std::size_t active = 1;
  for (FollowerProgress& pr : progress) {
    if (pr.recently_active) ++active;
    pr.recently_active = false;
  }
  if (config.check_quorum && active < quorum) {
    become_follower(term, NodeId{});
  }
}

// ---- leadership transfer (§3.10)
// ----------------------------------------------

Status Raft::State::transfer_leadership(const NodeId& to) {
  if (role != RaftRole::leader) {
    return make_error(ErrorCode::not_leader, "not the leader", leader_id);
  }
  const auto p = peer_index(to);
  if (!p) return make_error(ErrorCode::bad_request, "not a peer", "to");
  if (transfer_target) {
    if (*transfer_target == to) return ok_status();
    return make_error(ErrorCode::conflict, "a transfer is under way", "to");
  }
  transfer_target = to;
  transfer_elapsed = 0;
  if (progress[*p].match_index == log.last_index()) {
    maybe_send_timeout_now(*p);
  } else {
    send_append(*p);
  }
  return ok_status();
}

void Raft::State::maybe_send_timeout_now(std::size_t p) {
  if (!transfer_target || *transfer_target != peers[p]) return;
  if (progress[p].match_index != log.last_index()) return;
  send(peers[p], TimeoutNow{term, config.id});
}

}  // namespace slurp::consensus
