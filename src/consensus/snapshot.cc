// Log compaction and snapshot transfer (§5). The leader sends its latest
// snapshot in chunks of snapshot_chunk_bytes_max, one at a time, each with
// a CRC-32C; the follower checks order and checksum, assembles into a
// buffer bounded by snapshot_bytes_max, and installs when the last chunk
// arrives. Retransmission is driven by the heartbeat timer.
#include <algorithm>
#include <cassert>
#include <span>

#include "protocol/crc32c.h"
#include "src/consensus/raft_state.h"

namespace slurp::consensus {

Status Raft::State::compact(std::uint64_t index, SnapshotData data) {
  // Only applied state can be in the snapshot the caller hands us.
  if (index > applied) {
    return make_error(ErrorCode::bad_request, "beyond the applied index",
                      "index");
  }
  if (index <= log.snapshot_index() ||
      (snapshot && index <= snapshot->meta.last_index)) {
    return make_error(ErrorCode::conflict, "already compacted", "index");
  }
  if (data.bytes() != nullptr && data.size() > config.snapshot_bytes_max) {
    return make_error(ErrorCode::too_large, "over snapshot_bytes_max", "data");
  }
  const std::uint64_t index_term = *log.term_at(index);
  snapshot = std::make_shared<const Snapshot>(
      Snapshot{SnapshotMeta{index, index_term}, std::move(data)});
  // Keep the entries after any snapshot still being streamed: the follower
  // that installs it continues by appends. Dropping them would send it a
  // newer snapshot, and under steady load it would never catch up.
  std::uint64_t keep_after = index > config.compact_keep_entries
                                 ? index - config.compact_keep_entries
                                 : 0;
  for (const FollowerProgress& pr : progress) {
    if (pr.mode == ReplicationMode::snapshot && pr.streaming) {
      keep_after = std::min(keep_after, pr.streaming->meta.last_index);
    }
  }
  if (keep_after > log.snapshot_index()) log.compact(keep_after);
  return ok_status();
}

void Raft::State::start_snapshot(std::size_t p) {
  // The log starts after a snapshot only if one was created, restored or
  // installed, and we keep the latest.
  assert(snapshot != nullptr);
  progress[p].become_snapshot(snapshot);
  ++counters.snapshots_sent;
  send_snapshot_chunk(p);
}

void Raft::State::send_snapshot_chunk(std::size_t p) {
  FollowerProgress& pr = progress[p];
  // The snapshot this transfer started with, even if a compaction has
  // replaced ours since: the follower catches up to it, then by appends.
  const Snapshot& s = *pr.streaming;
  const std::uint64_t total = s.data.size();
  const std::uint64_t offset = std::min(pr.snapshot_offset, total);
  const std::size_t n = static_cast<std::size_t>(
      std::min<std::uint64_t>(config.snapshot_chunk_bytes_max, total - offset));
  Result<Bytes> read = s.data.read(offset, n);
  // Unreadable (a snapshot file gone): nothing is sent, and the heartbeat
  // timer retries as for a lost chunk.
  if (!read) return;
  Bytes chunk = std::move(*read);
  const std::uint32_t crc = crc32c(chunk);
  pr.snapshot_offset = offset;
  pr.snapshot_chunk_bytes = n;
  send(peers[p], SnapshotChunk{term, config.id, s.meta.last_index,
                               s.meta.last_term, offset, total,
                               std::move(chunk), crc, offset + n == total});
}

void Raft::State::on_snapshot_reply(const SnapshotReply& m) {
  if (role != RaftRole::leader) return;
  const std::size_t p = *peer_index(m.follower);
  FollowerProgress& pr = progress[p];
  pr.recently_active = true;
  if (pr.mode != ReplicationMode::snapshot) return;  // late duplicate
  const std::uint64_t total = pr.streaming->data.size();
  if (m.next_offset > total) return drop();
  pr.snapshot_progress = true;
  if (m.done) {
    // The follower's log now matches ours up to the snapshot.
    pr.match_index = std::max(pr.match_index, pr.snapshot_index);
    pr.become_probe(pr.match_index + 1);
    maybe_commit();
    maybe_send_timeout_now(p);
    return send_append(p);
  }
  const bool acked =
      m.next_offset == pr.snapshot_offset + pr.snapshot_chunk_bytes;
  pr.snapshot_offset = m.next_offset;
  // A reply asking for anything else (a bad chunk, a restart) waits for the
  // heartbeat retransmission, so duplicated replies cannot multiply chunks.
  if (acked) send_snapshot_chunk(p);
}

// ---- follower
// --------------------------------------------------------------------

void Raft::State::reply_snapshot(const NodeId& to, std::uint64_t next_offset,
                                 bool done) {
  send(to, SnapshotReply{term, config.id, next_offset, done});
}

void Raft::State::on_snapshot_chunk(const SnapshotChunk& m) {
  if (role == RaftRole::leader ||
      (!leader_id.empty() && leader_id != m.leader)) {
    return drop();
  }
  if (role != RaftRole::follower) become_follower(term, m.leader);
  leader_id = m.leader;
  election_elapsed = 0;
  leader_contact_elapsed = 0;
  // total_bytes bounds the buffer, so it is checked before anything else.
  if (m.total_bytes > config.snapshot_bytes_max || m.offset > m.total_bytes ||
      m.data.size() > m.total_bytes - m.offset || m.last_index == 0 ||
      m.last_term == 0 || m.last_term > m.term ||
      m.last_index > (std::uint64_t{1} << 62) ||
      m.chunk_crc32c > 0xffffffffULL) {
    return drop();
  }
  // We already hold everything it covers: keep our log (§5.1: entries
  // after a matching entry stay) and skip the transfer.
  if (m.last_index <= commit || log.term_at(m.last_index) == m.last_term) {
    commit_to(m.last_index);
    incoming.reset();
    return reply_snapshot(m.leader, m.total_bytes, true);
  }
  if (!accept_chunk(m)) return;
  if (incoming->data.size() < incoming->total_bytes) {
    return reply_snapshot(m.leader, incoming->data.size(), false);
  }
  install_incoming();
  reply_snapshot(m.leader, m.total_bytes, true);
}

// Buffers one chunk if it is the next one and intact; otherwise replies
// with the offset we expect and drops it.
bool Raft::State::accept_chunk(const SnapshotChunk& m) {
  const SnapshotMeta meta{m.last_index, m.last_term};
  const bool same = incoming && incoming->term == term &&
                    incoming->meta == meta &&
                    incoming->total_bytes == m.total_bytes;
  if (!same) {
    if (m.offset != 0) {
      drop();
      reply_snapshot(m.leader, 0, false);
      return false;
    }
    incoming = IncomingSnapshot{term, meta, m.total_bytes, {}};
  }
  const std::uint64_t expected = incoming->data.size();
  const bool complete = m.offset + m.data.size() == m.total_bytes;
  if (m.offset != expected || crc32c(m.data) != m.chunk_crc32c ||
      complete != m.done) {
    drop();
    reply_snapshot(m.leader, expected, false);
    return false;
  }
  incoming->data.insert(incoming->data.end(), m.data.begin(), m.data.end());
  return true;
}

void Raft::State::install_incoming() {
  Snapshot s{incoming->meta, std::move(incoming->data)};
  incoming.reset();
  // Our entry at last_index is missing or conflicts, so every entry we
  // hold after it is from another history: the log restarts after it.
  log.restore(s.meta.last_index, s.meta.last_term);
  commit = s.meta.last_index;
  apply_emitted = s.meta.last_index;
  stable_index = std::min(stable_index, s.meta.last_index);
  unstable_from = s.meta.last_index + 1;
  snapshot = std::make_shared<const Snapshot>(s);
  snapshot_to_install = std::move(s);
  ++counters.snapshots_installed;
}

}  // namespace slurp::consensus
