// Log replication (§3.5): the leader's batched, pipelined Appends with
// flow control (§10.2.1), the follower's consistency check and conflict
// truncation, and the commitment rule (§3.6.2).
#include <algorithm>
#include <cassert>
#include <functional>

#include "src/consensus/raft_state.h"

namespace slurp::consensus {

std::uint64_t Raft::State::uncommitted_entries() const {
  return log.last_index() - commit;
}

Result<std::uint64_t> Raft::State::propose(std::uint64_t kind, Bytes data) {
  if (role != RaftRole::leader) {
    return make_error(ErrorCode::not_leader, "not the leader", leader_id);
  }
  if (transfer_target) {
    return make_error(ErrorCode::conflict, "leadership transfer under way");
  }
  if (kind == Raft::kNoOpKind) {
    return make_error(ErrorCode::bad_request, "kind 0 is reserved", "kind");
  }
  // Larger entries could never fit an Append within append_bytes_max.
  if (data.size() > config.append_bytes_max) {
    return make_error(ErrorCode::too_large, "over append_bytes_max", "data");
  }
  if (uncommitted_entries() >= config.uncommitted_entries_max) {
    return make_error(ErrorCode::queue_full, "too many uncommitted entries");
  }
  append_local(kind, std::move(data));
  return log.last_index();
}

void Raft::State::append_local(std::uint64_t kind, Bytes data) {
  log.append(LogEntry{log.last_index() + 1, term, kind, std::move(data)});
  send_appends_all();
}

void Raft::State::send_appends_all() {
  for (std::size_t p = 0; p < peers.size(); ++p) send_append(p);
}

// Sends Appends to one follower until its pipeline is full or it has
// everything. In replicate mode next_index moves ahead optimistically.
void Raft::State::send_append(std::size_t p) {
  FollowerProgress& pr = progress[p];
  while (pr.mode != ReplicationMode::snapshot &&
         !pr.inflight_full(config.inflight_appends_max)) {
    const std::uint64_t prev = pr.next_index - 1;
    const auto prev_term = log.term_at(prev);
    if (!prev_term) return start_snapshot(p);  // compacted away (§5)
    if (pr.next_index > log.last_index()) return;
    std::vector<LogEntry> entries =
        log.slice(pr.next_index, log.last_index(), config.append_entries_max,
                  config.append_bytes_max);
    const std::uint64_t last_sent = entries.back().index;
    const std::uint64_t seq = pr.take_seq();
    pr.inflight.push_back(seq);
    send(peers[p], Append{term, config.id, prev, *prev_term, commit,
                          std::move(entries), seq});
    if (pr.mode != ReplicationMode::replicate) return;
    pr.next_index = last_sent + 1;
  }
}

// A heartbeat is an empty Append at the follower's known match: it proves
// leadership (read-index rounds count its seq) and carries a commit index
// no greater than what the follower is known to hold.
void Raft::State::send_heartbeat(std::size_t p) {
  FollowerProgress& pr = progress[p];
  std::uint64_t prev = pr.match_index;
  auto prev_term = log.term_at(prev);
  if (!prev_term) {
    prev = 0;  // compacted: index 0 matches every log
    prev_term = 0;
  }
  send(peers[p], Append{term,
                        config.id,
                        prev,
                        *prev_term,
                        std::min(commit, pr.match_index),
                        {},
                        pr.take_seq()});
  if (pr.mode == ReplicationMode::snapshot) {
    // Chunks are answered one by one; retransmit one left unanswered
    // for a whole heartbeat interval.
    if (!pr.snapshot_progress) send_snapshot_chunk(p);
    pr.snapshot_progress = false;
  }
}

void Raft::State::broadcast_heartbeat() {
  for (std::size_t p = 0; p < peers.size(); ++p) send_heartbeat(p);
}

// ---- follower
// -------------------------------------------------------------------

// Entries must continue prev_log_index one by one, with terms that never
// decrease and never exceed the sender's term.
bool Raft::State::append_well_formed(const Append& m) const {
  if (m.prev_log_index > (std::uint64_t{1} << 62)) return false;
  if (m.prev_log_index == 0 && m.prev_log_term != 0) return false;
  if (m.prev_log_term > m.term) return false;
  std::uint64_t last_term = m.prev_log_term;
  for (std::size_t i = 0; i < m.entries.size(); ++i) {
    const LogEntry& e = m.entries[i];
    if (e.index != m.prev_log_index + 1 + i) return false;
    if (e.term == 0 || e.term < last_term || e.term > m.term) return false;
    last_term = e.term;
  }
  return true;
}

void Raft::State::reply_append(const NodeId& to, bool success,
                               std::uint64_t match, std::uint64_t seq,
                               std::uint64_t hint_index,
                               std::uint64_t hint_term) {
  send(to, AppendReply{term, config.id, success, match, hint_index, hint_term,
                       seq});
}

void Raft::State::on_append(const Append& m) {
  if (role == RaftRole::leader ||
      (!leader_id.empty() && leader_id != m.leader)) {
    return drop();  // a second leader in one term cannot be
  }
  if (role != RaftRole::follower) become_follower(term, m.leader);
  leader_id = m.leader;
  election_elapsed = 0;
  leader_contact_elapsed = 0;
  if (!append_well_formed(m)) return drop();
  // Entries up to our commit index are committed, hence identical to the
  // leader's (§3.6): skip them rather than compare terms we may have
  // compacted away.
  std::uint64_t prev = m.prev_log_index;
  std::size_t first = 0;
  if (prev < commit) {
    first = static_cast<std::size_t>(
        std::min<std::uint64_t>(commit - prev, m.entries.size()));
    prev = commit;
  } else if (log.term_at(prev) != m.prev_log_term) {
    // §3.5 consistency check failed; hint where our log could match so the
    // leader skips a whole conflicting term per round trip.
    const std::uint64_t hint = log.find_conflict_by_term(
        std::min(prev, log.last_index()), m.prev_log_term);
    return reply_append(m.leader, false, 0, m.seq, hint,
                        log.term_at(hint).value_or(0));
  }
  for (std::size_t i = first; i < m.entries.size(); ++i) {
    const LogEntry& e = m.entries[i];
    const auto existing = log.term_at(e.index);
    if (existing == e.term) continue;
    if (existing) {
      assert(e.index > commit);  // committed entries are never truncated
      log.truncate_from(e.index);
      stable_index = std::min(stable_index, e.index - 1);
      unstable_from = std::min(unstable_from, e.index);
    }
    log.append(e);
  }
  const std::uint64_t match =
      std::max(prev, m.prev_log_index + m.entries.size());
  commit_to(std::min(m.commit_index, match));
  reply_append(m.leader, true, match, m.seq);
}

// ---- leader: replies
// ----------------------------------------------------------

void Raft::State::on_append_reply(const AppendReply& m) {
  if (role != RaftRole::leader) return;
  const std::size_t p = *peer_index(m.follower);
  FollowerProgress& pr = progress[p];
  if (m.seq >= pr.next_seq || (m.success && m.match_index > log.last_index())) {
    return drop();  // answers something we never sent
  }
  pr.recently_active = true;
  // Any answer in our term proves the follower still follows us (§6.4).
  pr.acked_seq = std::max(pr.acked_seq, m.seq);
  if (!m.success) {
    on_append_reject(p, m);
  } else if (pr.mode != ReplicationMode::snapshot) {
    pr.free_inflight_upto(m.seq);
    const bool advanced = m.match_index > pr.match_index;
    pr.match_index = std::max(pr.match_index, m.match_index);
    if (pr.mode == ReplicationMode::probe) {
      pr.become_replicate();
    } else if (pr.inflight.empty()) {
      // Everything sent was answered, yet the follower is behind what we
      // sent: some Appends were lost; resend from its match.
      pr.next_index = pr.match_index + 1;
    }
    pr.next_index = std::max(pr.next_index, pr.match_index + 1);
    if (advanced) maybe_commit();
    maybe_send_timeout_now(p);
    send_append(p);
  }
  confirm_reads();
}

void Raft::State::on_append_reject(std::size_t p, const AppendReply& m) {
  FollowerProgress& pr = progress[p];
  if (m.seq < pr.reject_floor_seq || pr.mode == ReplicationMode::snapshot) {
    return;  // answers an older guess; a newer probe is on its way
  }
  // Continue from the last index where our term is <= the follower's term
  // at its hint: everything between conflicts (§3.5, "fast backup").
  std::uint64_t next =
      log.find_conflict_by_term(std::min(m.hint_index, log.last_index()),
                                m.hint_term) +
      1;
  // A follower whose log ends below what it acknowledged lost it (an
  // operator wiped or replaced its data directory). Keeping match_index
  // would probe it at match + 1 forever; lowering it can only make
  // commitment stricter, never looser, so start over from what it has
  // (a snapshot, if that is below our log).
  if (m.hint_index < pr.match_index) {
    pr.match_index = m.hint_index;
    ++counters.follower_logs_lost;
  }
  next = std::max(next, pr.match_index + 1);
  pr.become_probe(next);
  send_append(p);
}

// §3.6.2: an index is committed once a majority stores it and it belongs to
// this leader's term; earlier entries commit with it.
void Raft::State::maybe_commit() {
  if (role != RaftRole::leader) return;
  std::vector<std::uint64_t> matches;
  matches.push_back(std::min(stable_index, log.last_index()));
  for (const FollowerProgress& pr : progress) matches.push_back(pr.match_index);
  std::sort(matches.begin(), matches.end(), std::greater<>());
  const std::uint64_t n = matches[quorum - 1];
  if (n <= commit) return;
  if (log.term_at(n) != term && fault != Fault::commit_previous_term) return;
  commit_to(n);
  start_read_rounds();
}

void Raft::State::commit_to(std::uint64_t index) {
  if (index > commit) commit = index;
}

}  // namespace slurp::consensus
