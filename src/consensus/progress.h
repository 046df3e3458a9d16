// The leader's bookkeeping for one follower: where its log matches, what
// to send next, which Appends are still unacknowledged, and the state of a
// snapshot transfer. One owner thread (the Raft core).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "src/consensus/raft.h"

namespace slurp::consensus {

// probe: one Append at a time until the follower's log matches;
// replicate: optimistic next_index, several Appends in flight (§10.2.1);
// snapshot: entries before next_index are gone, a snapshot is being sent.
enum class ReplicationMode { probe, replicate, snapshot };

struct FollowerProgress {
  std::uint64_t match_index = 0;
  std::uint64_t next_index = 1;
  ReplicationMode mode = ReplicationMode::probe;

  // Every message to this follower carries the next seq; replies echo it.
  std::uint64_t next_seq = 1;
  // The highest seq the follower answered in the current term; read-index
  // rounds wait for it to pass the seq of their heartbeat (§6.4).
  std::uint64_t acked_seq = 0;
  // A reject answering a message older than this is stale: a later probe
  // was already sent after an earlier reject.
  std::uint64_t reject_floor_seq = 0;
  // Seqs of Appends with entries not yet acknowledged (the pipeline).
  std::deque<std::uint64_t> inflight;

  bool recently_active = false;  // replied since the last check-quorum

  // Snapshot transfer: which snapshot, the chunk in flight, and whether it
  // was answered since the last heartbeat (retransmit if not).
  std::uint64_t snapshot_index = 0;
  std::shared_ptr<const Snapshot> streaming;  // pinned for the transfer
  std::uint64_t snapshot_offset = 0;
  std::size_t snapshot_chunk_bytes = 0;
  bool snapshot_progress = false;

  std::uint64_t take_seq() { return next_seq++; }
  // Frees every in-flight slot at or below `seq`: replies are cumulative.
  void free_inflight_upto(std::uint64_t seq);
  bool inflight_full(std::size_t inflight_max) const;
  void become_probe(std::uint64_t next);
  void become_replicate();
  void become_snapshot(std::shared_ptr<const Snapshot> snapshot);
};

}  // namespace slurp::consensus
