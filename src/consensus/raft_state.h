// The Raft core's private state and the steps that change it. Raft's
// public methods forward here; the rules are split by idea across
// raft.cc (inputs, outputs, invariants), election.cc, replication.cc,
// snapshot.cc, read_index.cc and transfer in election.cc.
// One owner thread.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "src/consensus/prng.h"
#include "src/consensus/progress.h"
#include "src/consensus/raft.h"
#include "src/consensus/raft_log.h"

namespace slurp::consensus {

// A follower's partly received snapshot. Bounded: total_bytes was checked
// against Config::snapshot_bytes_max before anything was buffered.
struct IncomingSnapshot {
  std::uint64_t term = 0;  // the leader's term; a new term starts over
  SnapshotMeta meta;
  std::uint64_t total_bytes = 0;
  Bytes data;
};

// A read-index request waiting for its round of heartbeats (§6.4).
struct PendingRead {
  std::uint64_t request_id = 0;
  std::uint64_t index = 0;
  bool started = false;  // false until the leader commits in its term
  std::vector<std::uint64_t> round_seq;  // per peer (peers order)
};

struct Raft::State {
  Config config;
  std::vector<NodeId> peers;  // members except this node, in config order
  std::size_t quorum = 1;
  SplitMix64 rng{0};

  // Persistent state (§3.2), mirrored to HardState.
  std::uint64_t term = 0;
  NodeId voted_for;
  RaftLog log;
  std::uint64_t commit = 0;

  RaftRole role = RaftRole::follower;
  NodeId leader_id;  // "" when unknown

  // Timers, in ticks.
  std::uint64_t election_elapsed = 0;
  std::uint64_t election_timeout = 0;  // randomized in [min, max)
  std::uint64_t heartbeat_elapsed = 0;
  // Since the last message from the current leader (stickiness, §4.2.3).
  std::uint64_t leader_contact_elapsed = 0;

  // Votes in the current (pre-)election; per peer: unset, granted, refused.
  std::vector<int> votes;

  // Leader only.
  std::vector<FollowerProgress> progress;  // peers order
  std::optional<NodeId> transfer_target;
  std::uint64_t transfer_elapsed = 0;
  std::deque<PendingRead> pending_reads;

  // The latest snapshot this node holds (from create, compact or install);
  // what the leader starts sending to a follower behind its log. Shared so
  // a transfer in progress keeps streaming the snapshot it started with
  // after a compaction replaces this one (restarting would never finish
  // while compactions come faster than a whole transfer).
  std::shared_ptr<const Snapshot> snapshot;
  std::optional<IncomingSnapshot> incoming;

  // Output bookkeeping: what ready() already handed out, what advance()
  // confirmed durable or applied.
  std::vector<Envelope> outbox;
  std::vector<ReadState> reads_ready;
  std::optional<Snapshot> snapshot_to_install;
  HardState hard_state_emitted;
  // The term of the last hard state advance() confirmed durable: messages
  // sent while a Ready is being persisted never claim a later one.
  std::uint64_t durable_term = 0;
  std::uint64_t unstable_from = 1;  // first log index not yet in a Ready
  std::uint64_t stable_index = 0;   // last index the caller persisted
  std::uint64_t apply_emitted = 0;  // last index handed out as committed
  std::uint64_t applied = 0;        // last index the caller applied

  // For invariant checks across inputs.
  std::uint64_t checked_term = 0;
  NodeId checked_vote;
  std::uint64_t checked_commit = 0;

  RaftCounters counters;
  Fault fault = Fault::none;

  // raft.cc
  void init(Config c, InitialState initial);
  void step(const RaftMessage& message);
  bool known_peer(const NodeId& from) const;
  std::optional<std::size_t> peer_index(const NodeId& id) const;
  void send(const NodeId& to, RaftMessage message);
  void on_stale(const RaftMessage& message);
  void drop() { ++counters.messages_dropped; }
  HardState hard_state() const { return {term, voted_for, commit}; }
  bool has_ready() const;
  Ready ready();
  void advance(const Ready& ready);
  std::vector<Envelope> take_early_messages();
  void check_invariants();

  // election.cc
  void tick();
  void reset_election_timer();
  void become_follower(std::uint64_t new_term, const NodeId& leader);
  void become_leader();
  void campaign(bool pre_vote);
  bool in_lease() const;
  bool log_up_to_date(std::uint64_t last_index, std::uint64_t last_term) const;
  void on_vote(const Vote& m);
  void on_vote_reply(const VoteReply& m);
  void on_timeout_now(const TimeoutNow& m);
  void tick_leader();
  void check_quorum();
  Status transfer_leadership(const NodeId& to);
  void maybe_send_timeout_now(std::size_t peer);

  // replication.cc
  Result<std::uint64_t> propose(std::uint64_t kind, Bytes data);
  void append_local(std::uint64_t kind, Bytes data);
  void send_append(std::size_t peer);
  void send_appends_all();
  void send_heartbeat(std::size_t peer);
  void broadcast_heartbeat();
  void on_append(const Append& m);
  bool append_well_formed(const Append& m) const;
  void reply_append(const NodeId& to, bool success, std::uint64_t match,
                    std::uint64_t seq, std::uint64_t hint_index = 0,
                    std::uint64_t hint_term = 0);
  void on_append_reply(const AppendReply& m);
  void on_append_reject(std::size_t peer, const AppendReply& m);
  void maybe_commit();
  void commit_to(std::uint64_t index);
  std::uint64_t uncommitted_entries() const;

  // snapshot.cc
  Status compact(std::uint64_t index, SnapshotData data);
  void start_snapshot(std::size_t peer);
  void send_snapshot_chunk(std::size_t peer);
  void on_snapshot_chunk(const SnapshotChunk& m);
  bool accept_chunk(const SnapshotChunk& m);
  void install_incoming();
  void reply_snapshot(const NodeId& to, std::uint64_t next_offset, bool done);
  void on_snapshot_reply(const SnapshotReply& m);

  // read_index.cc
  Status read_index(std::uint64_t request_id);
  void start_read_rounds();
  void confirm_reads();
  bool committed_in_term() const;
};

}  // namespace slurp::consensus
