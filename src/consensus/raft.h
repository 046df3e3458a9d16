// The Raft consensus core (Ongaro, "Consensus: Bridging Theory and
// Practice", 2014; section numbers below refer to it).
//
// Sans-IO and deterministic: no sockets, no clock, no files, no threads, no
// global randomness. Time is an abstract tick; randomness comes from
// Config::seed. The same state and the same inputs give the same outputs,
// which is what lets tests/sim run a whole cluster in one thread from one
// seed.
//
// Inputs:  tick(), step(message), propose(), read_index(),
//          transfer_leadership(), compact().
// Outputs: ready() returns a Ready; the caller MUST, in this order,
//   1. persist ready.hard_state, ready.snapshot and ready.entries durably
//      (one fsync covers them: group commit);
//   2. only then send ready.messages (a vote or an append ack promises
//      that what it acknowledges is on disk);
//   3. apply ready.snapshot (if any) then ready.committed to the state
//      machine, in order; serve ready.reads once applied >= their index;
//   4. call advance(ready).
// Between ready() and advance() (while the Ready is being persisted) the
// other inputs may be called: what they produce waits for the next Ready,
// which is not taken before advance(). take_early_messages() hands over
// the messages that may leave before that persist is done (a leader's
// appends and heartbeats, pre-votes), so a slow fsync does not silence a
// leader (§10.2.1).
//
// Features: randomized election timeouts (§3.4), pre-vote (§9.6),
// check-quorum (§6.2), leader stickiness against disruptive servers (§4.2.3),
// batched and pipelined append with a bounded number of in-flight appends
// per follower (§10.2.1), commitment only of current-term entries by
// counting (§3.6.2), snapshots with chunked, checksummed install (§5),
// leadership transfer with timeout-now (§3.10), read-index for linearizable
// reads (§6.4). Membership is static (from Config).
//
// Invariants are checked after every input with assert(); they are
// programmer errors. Messages from outside are never asserted on: a
// malformed or unexpected message is dropped and counted.
//
// Threads: one owner thread calls everything.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/consensus_message.h"
#include "protocol/limits.h"
#include "protocol/messages.h"
#include "protocol/result.h"
#include "src/consensus/snapshot_data.h"

namespace slurp::consensus {

using NodeId = std::string;

// The wire structs are the core's messages (protocol/consensus_message.h,
// which also says who sent one).
using RaftMessage = ConsensusMessage;

struct Envelope {
  NodeId to;
  RaftMessage message;
};

// What must survive a restart besides the log.
struct HardState {
  std::uint64_t term = 0;
  NodeId voted_for;  // "" = none in this term
  std::uint64_t commit = 0;
  bool operator==(const HardState&) const = default;
};

struct SnapshotMeta {
  std::uint64_t last_index = 0;  // covers the log up to and including this
  std::uint64_t last_term = 0;
  bool operator==(const SnapshotMeta&) const = default;
};

struct Snapshot {
  SnapshotMeta meta;
  SnapshotData data;  // the state machine's serialized state
};

struct Config {
  NodeId id;
  std::vector<NodeId> members;  // every voter, this node included

  // Election timeout is drawn uniformly from [min, max) ticks each time it
  // is reset (§3.4). Heartbeats every heartbeat_ticks.
  std::uint64_t election_ticks_min = 10;
  std::uint64_t election_ticks_max = 20;
  std::uint64_t heartbeat_ticks = 1;

  bool pre_vote = true;      // §9.6
  bool check_quorum = true;  // §6.2

  std::size_t append_entries_max = 256;  // per Append message
  std::size_t append_bytes_max = limits::append_bytes_default;
  std::size_t inflight_appends_max = 8;         // per follower (pipelining)
  std::size_t uncommitted_entries_max = 65536;  // propose() beyond: queue_full
  std::size_t snapshot_chunk_bytes_max = 256 * 1024;
  // The largest snapshot a follower will assemble in memory, and the
  // largest in-memory one compact() accepts: it bounds the receive buffer
  // (a chunk announcing more is dropped). A snapshot behind a source
  // (snapshot_data.h) is not held in memory and is not bounded by it.
  std::size_t snapshot_bytes_max = std::size_t{256} * 1024 * 1024;
  std::size_t pending_reads_max = 4096;
  // compact(index) keeps this many entries at and below `index` in the
  // log, so a follower that is only a little behind (or a new leader's
  // follower: every node compacts at its own pace) catches up by appends
  // instead of needing the whole snapshot. 0: keep none.
  std::uint64_t compact_keep_entries = 0;
  // Committed entries one Ready hands over to apply, by count and bytes
  // (the first always goes): a restart that finds tens of thousands of
  // committed entries after its snapshot applies them over several loop
  // turns, answering heartbeats in between, instead of in one long turn.
  // A stored context of ~2 KB costs 50-120 us of CPU to apply on the
  // development machine (decoding, the as-of lookup and the SQLite
  // insert), so 64 KiB of them stay near 4 ms of CPU: 8 MiB took 100-150
  // ms, and the node checks its turn budget only between Readies. Small,
  // because on a busy machine a turn's wall time is several times its CPU
  // time (three nodes and two workers on two cores: 50 ms of CPU took 274
  // ms), and a leader in the middle of a long apply sends no heartbeats.
  std::size_t apply_entries_max = 64;
  std::size_t apply_bytes_max = 64 * 1024;

  std::uint64_t seed = 1;  // for election timeout randomization

  // Ok, or bad_request naming the field: election_ticks_min must exceed
  // heartbeat_ticks, max > min, every limit > 0 (and the wire-bound ones
  // within protocol/limits.h), id in members, members unique and non-empty.
  Status validate() const;
};

// What a node starts from: its durable state as storage recovered it.
struct InitialState {
  HardState hard_state;
  std::optional<Snapshot> snapshot;  // latest durable snapshot, if any
  std::vector<LogEntry> entries;     // contiguous, after the snapshot
};

// A linearizable read confirmed by read-index: serve `request_id` once the
// state machine has applied `index`.
struct ReadState {
  std::uint64_t request_id = 0;
  std::uint64_t index = 0;
};

struct Ready {
  std::optional<HardState> hard_state;  // persist when set
  // Append to the durable log. If entries.front().index <= the durable last
  // index, the durable log is first truncated from that index on.
  std::vector<LogEntry> entries;
  // A snapshot received from the leader: persist, then restore the state
  // machine from it. It replaces the whole durable log, entries after
  // meta.last_index included (they belonged to a conflicting history); the
  // log continues at meta.last_index + 1 with `entries`, written after it.
  std::optional<Snapshot> snapshot;
  std::vector<Envelope> messages;   // send after persisting
  std::vector<LogEntry> committed;  // apply in order, after any snapshot
  std::vector<ReadState> reads;
  bool empty() const {
    return !hard_state && entries.empty() && !snapshot && messages.empty() &&
           committed.empty() && reads.empty();
  }
};

enum class RaftRole { follower, pre_candidate, candidate, leader };
std::string_view raft_role_name(RaftRole role);

// A leader's view of one follower, for status and health.
struct Progress {
  std::uint64_t match_index = 0;
  std::uint64_t next_index = 0;
  std::size_t inflight = 0;
  bool recently_active = false;  // heard from within an election timeout
  bool sending_snapshot = false;
};

// Counters for observability; never decrease.
struct RaftCounters {
  std::uint64_t messages_dropped = 0;  // unknown sender, stale, malformed
  std::uint64_t elections_started = 0;
  std::uint64_t snapshots_sent = 0;
  std::uint64_t snapshots_installed = 0;
  // Followers that answered below what they had acknowledged: their log
  // was lost (a wiped or replaced disk); see on_append_reject.
  std::uint64_t follower_logs_lost = 0;
};

class Raft {
 public:
  // Errors: the Config is invalid, or the InitialState is inconsistent
  // (gaps, commit beyond the log or below the snapshot, terms out of order).
  static Result<std::unique_ptr<Raft>> create(Config config,
                                              InitialState initial);
  ~Raft();
  Raft(const Raft&) = delete;
  Raft& operator=(const Raft&) = delete;

  void tick();
  void step(const RaftMessage& message);

  // Appends a command on the leader; returns its index. Errors: not_leader
  // (Error::field carries the known leader id, "" when unknown), queue_full
  // (uncommitted_entries_max reached), conflict (a transfer is under way),
  // bad_request (kind 0), too_large (data over append_bytes_max).
  // Entry kind 0 is reserved for the no-op a new leader appends (§3.6.2):
  // the state machine must skip it.
  static constexpr std::uint64_t kNoOpKind = 0;
  Result<std::uint64_t> propose(std::uint64_t kind, Bytes data);

  // Starts a read-index round (§6.4); a ReadState with this request_id
  // appears in a later Ready. Errors: not_leader, queue_full. Pending reads
  // are forgotten if this node stops being leader: the caller times them out.
  Status read_index(std::uint64_t request_id);

  // Hands leadership to `to` (§3.10): stop accepting proposals, bring `to`
  // up to date, send it timeout_now. Aborted after an election timeout.
  Status transfer_leadership(const NodeId& to);

  // The state machine has a snapshot covering up to `index` (<= applied):
  // log entries up to it may be dropped, and lagging followers get it.
  // Errors: bad_request (index beyond applied), too_large, and conflict
  // when the log is compacted at or past `index` already, e.g. by a
  // leader's snapshot stepped since the last ready() (the next Ready
  // installs it): the caller drops its snapshot and tries later.
  Status compact(std::uint64_t index, SnapshotData data);

  bool has_ready() const;
  Ready ready();
  void advance(const Ready& ready);
  // Messages produced since the last ready() that promise nothing the
  // Ready being persisted (or a later one) makes durable; the rest stay
  // for the next Ready. Call it between ready() and advance().
  std::vector<Envelope> take_early_messages();
  // Restart: entries committed but not yet applied are re-emitted in
  // Ready::committed. applied_index() starts at the snapshot's last_index,
  // because the state machine is rebuilt from the snapshot plus the log.

  const NodeId& id() const;
  RaftRole role() const;
  std::uint64_t term() const;
  std::optional<NodeId> leader() const;
  std::uint64_t commit_index() const;
  std::uint64_t last_index() const;
  std::uint64_t applied_index() const;
  // Empty unless leader; keyed by follower id.
  std::map<NodeId, Progress> progress() const;
  // The target of a leadership transfer under way, if any (leader only).
  std::optional<NodeId> transfer_target() const;
  const RaftCounters& counters() const;

  // Test-only fault switches that break a safety rule on purpose, so the
  // simulator can show it catches the breakage (issue acceptance: "the
  // simulator has teeth").
  enum class Fault { none, double_vote, commit_previous_term };
  void inject_fault_for_testing(Fault fault);

 private:
  struct State;
  explicit Raft(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace slurp::consensus
