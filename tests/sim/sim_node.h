// One simulated server: the real consensus::Raft, a storage::MemoryStorage
// that outlives crashes, and a LogStateMachine, driven by the ReadyLoop
// slurpd runs (src/consensus/ready_loop.h), as raft.h's Ready contract says:
//   1. storage.write(hard state, entries, snapshot) at once;
//   2. storage.sync() after a simulated fsync latency (the cluster calls
//      sync_done()); a crash in between loses whatever the storage decides;
//   3. then send the messages, restore the snapshot, apply the committed
//      entries, and advance().
// While a Ready waits for its fsync the node keeps stepping inputs, as
// slurpd's loop does while its log writer thread syncs: a leader's appends
// and heartbeats leave at once (ReadyLoop::send_early), everything else
// waits for the next Ready, taken after the fsync (group commit). A
// paused node queues inputs in a bounded inbox.
//
// Pipeline mode adds the real state::StateMachine and the real
// node::LeaderPipeline (slurpd's), one per life, run where slurpd's loop
// runs it: PipelineTurnInput (Node::run_pipeline), each applied entry
// (Node::on_pipeline_applied) and ResultInput (Node::accept_results).
//
// The node judges nothing itself; it reports what happens to its
// NodeObserver (the cluster, which feeds the checker and the clients).
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "src/consensus/raft.h"
#include "src/consensus/ready_loop.h"
#include "src/node/leader_pipeline.h"
#include "src/node/request_table.h"
#include "src/state/state_machine.h"
#include "src/storage/memory_storage.h"
#include "tests/sim/log_state_machine.h"
#include "tests/sim/prng.h"
#include "tests/sim/shadow_log.h"
#include "tests/sim/sim_types.h"

namespace slurp::sim {

// "n1".."nN" for nodes 0..N-1.
std::string node_name(NodeIndex node);
// The inverse, for a cluster of `node_count`; nullopt for any other text.
std::optional<NodeIndex> parse_node_name(std::string_view name,
                                         std::size_t node_count);

// The entry kind of client commands (kind 0, Raft::kNoOpKind, is the
// no-op a new leader appends).
inline constexpr std::uint64_t kClientCommandKind = 1;

struct TickInput {};
struct MessageInput {
  consensus::RaftMessage message;
};
struct ProposalInput {
  std::size_t client = 0;
  std::uint64_t request = 0;  // the client's attempt number
  Bytes payload;
  // Pipeline mode (sim_pipeline.h): a state::CommandKind, and whether the
  // proposal is a job client's (routed to SimPipeline, not to the Raft
  // clients).
  std::uint64_t kind = kClientCommandKind;
  bool pipeline = false;
  // Pipeline mode: when the client sent it (steady ms), for the node's
  // RequestTable deadlines.
  std::uint64_t sent_ms = 0;
};
// A client's linearizable read (read-index, §6.4).
struct ReadInput {
  std::size_t client = 0;
  std::uint64_t request = 0;  // unique in the run: the ReadState's id
};
// An operator asks the node to hand leadership over (graceful shutdown).
struct TransferInput {
  consensus::NodeId to;
};
// Pipeline mode: one turn of slurpd's loop for its LeaderPipeline
// (Node::run_pipeline), with the simulated time at which it was due.
struct PipelineTurnInput {
  std::uint64_t wall_now_ms = 0;
  std::uint64_t steady_now_ms = 0;
};
// Pipeline mode: a worker's results batch reaches this node's results
// socket (`hops` times passed on by other nodes already).
struct ResultInput {
  ResultBatch batch;
  std::uint64_t wall_now_ms = 0;
  int hops = 0;
};
using NodeInput =
    std::variant<TickInput, MessageInput, ProposalInput, ReadInput,
                 TransferInput, PipelineTurnInput, ResultInput>;

class SimNode;

class NodeObserver {
 public:
  virtual ~NodeObserver() = default;
  // A Ready's durable part is about to be written; the node's log mirror
  // and state still show the state before it.
  virtual void on_write(const SimNode& node, const consensus::Ready& ready) = 0;
  // start() loaded `initial` from storage; the node still shows its state
  // from before the crash (log mirror, synced hard state) for comparison.
  virtual void on_loaded(const SimNode& node,
                         const consensus::InitialState& initial) = 0;
  // The written part needs an fsync: call sync_done() after its latency.
  virtual void on_fsync_started(const SimNode& node) = 0;
  virtual void on_synced(const SimNode& node) = 0;
  virtual void on_send(const SimNode& node,
                       const consensus::Envelope& envelope) = 0;
  // `entry` is about to be applied (state() still shows the state before).
  virtual void on_apply(const SimNode& node, const LogEntry& entry) = 0;
  // The state machine was just restored from a snapshot (from a Ready, or
  // from storage at start).
  virtual void on_restore(const SimNode& node) = 0;
  virtual void on_proposal(const SimNode& node, const ProposalInput& proposal,
                           const Result<std::uint64_t>& outcome) = 0;
  virtual void on_read_index(const SimNode& node, const ReadInput& read,
                             const Status& outcome) = 0;
  // A read the core confirmed is served: the state machine has applied
  // its index.
  virtual void on_read_served(const SimNode& node,
                              const consensus::ReadState& read) = 0;
  // Pipeline mode: the real state machine applied `entry` (after
  // on_apply) with this outcome; node.machine() shows the state after.
  virtual void on_state_applied(const SimNode& /*node*/,
                                const LogEntry& /*entry*/,
                                const state::ApplyOutcome& /*outcome*/) {}
  // Pipeline mode: the node's LeaderPipeline returned these batches (from
  // a turn, or from an applied lease) and the node pushes them to workers.
  // Pipeline mode: the node's RequestTable (slurpd's) handed a job
  // client's proposal back: applied as proposed, with this outcome...
  virtual void on_request_applied(const SimNode& /*node*/,
                                  std::size_t /*client*/,
                                  std::uint64_t /*request*/,
                                  const LogEntry& /*entry*/,
                                  const state::ApplyOutcome& /*outcome*/) {}
  // ...or to be sent again: another leader's entry took its index, the
  // node stopped leading, its deadline passed, or the node crashed (the
  // client's connection broke). slurpd routes it again itself; here the
  // client does.
  virtual void on_request_again(const SimNode& /*node*/, std::size_t /*client*/,
                                std::uint64_t /*request*/) {}
  virtual void on_jobs_pushed(const SimNode& /*node*/,
                              const std::vector<JobBatch>& /*batches*/) {}
  // Pipeline mode: the node does not lead, so, like slurpd, it passes the
  // results on to the leader it knows (or drops them).
  virtual void on_results_not_led(const SimNode& /*node*/,
                                  const ResultInput& /*results*/) {}
  // An input or a Ready was fully handled: role, term and commit may have
  // moved.
  virtual void on_settled(const SimNode& node) = 0;
  // The core or the storage broke its contract in a way the node saw
  // directly (a failed write, an out-of-order entry, a bad snapshot).
  virtual void on_anomaly(const SimNode& node, const std::string& what) = 0;
};

struct NodeSettings {
  consensus::Config config;  // id, members, timings; seed set per start
  // Switched on in every Raft this node creates (the simulator's teeth).
  consensus::Raft::Fault fault = consensus::Raft::Fault::none;
  std::uint64_t compact_entries_min = 50;   // applied entries between
  std::uint64_t compact_entries_max = 200;  // compactions, drawn each time
  std::size_t inbox_inputs_max = 1024;
  // Also apply every entry to the real state::StateMachine; snapshots then
  // carry both states (pipeline_snapshot below). The node also runs the
  // real node::LeaderPipeline with these settings (the seed is drawn at
  // each start) and this fault switched on.
  bool pipeline = false;
  node::LeaderPipeline::Settings leader_pipeline;
  node::LeaderPipeline::Fault pipeline_fault =
      node::LeaderPipeline::Fault::none;
};

// Pipeline mode: a job client's connection id in the node's RequestTable,
// and back.
Bytes client_connection(std::size_t client);
std::size_t client_of(const node::ReplyRoute& route);

// Pipeline mode's snapshot data: 8-byte little-endian length of the
// LogStateMachine bytes, those bytes, then state::StateMachine::snapshot().
Bytes pipeline_snapshot(const LogStateMachine& log,
                        const state::StateMachine& machine);

struct NodeCounters {
  std::uint64_t starts = 0;
  std::uint64_t crashes = 0;
  std::uint64_t inbox_dropped = 0;
  std::uint64_t compactions = 0;
  std::uint64_t snapshots_restored = 0;  // from a Ready
  std::uint64_t torn_records_dropped = 0;
};

class SimNode {
 public:
  SimNode(NodeIndex index, NodeSettings settings, Prng& prng,
          NodeObserver& observer);

  // Loads storage, creates a Raft from it and rebuilds the state machine.
  // Errors: storage or the core refused the recovered state (a bug).
  Status start(std::uint64_t raft_seed);
  // Power loss: the Raft and the state machine vanish; storage keeps what
  // MemoryStorage::crash decides.
  void crash(bool tear);
  void pause() { paused_ = true; }
  void resume();

  // Handles the input now (also while an fsync is under way), queues it
  // if the node is paused, drops it if the node is down.
  void input(NodeInput input);
  // The fsync for life `life` finished (ignored if the node crashed since).
  void sync_done(std::uint64_t life);

  NodeIndex index() const { return index_; }
  const std::string& name() const { return settings_.config.id; }
  bool up() const { return raft_ != nullptr; }
  bool blocked() const { return ready_.has_value(); }
  bool paused() const { return paused_; }
  std::uint64_t life() const { return counters_.starts; }
  // Only while up().
  const consensus::Raft& raft() const { return *raft_; }
  const ShadowLog& log() const { return log_; }
  const LogStateMachine& state() const { return state_; }
  // The real queue state machine (pipeline mode; empty otherwise).
  const state::StateMachine& machine() const { return machine_; }
  // The hard state as of the last completed sync (kept across crashes).
  const consensus::HardState& synced_hard_state() const { return synced_hs_; }
  // The lowest index an unsynced write may have changed (max when none).
  std::uint64_t unsynced_from() const { return unsynced_from_; }
  std::uint64_t synced_last_index() const { return synced_last_index_; }
  const NodeCounters& counters() const { return counters_; }
  // The LeaderPipelines' counters over every life (pipeline mode).
  node::LeaderPipeline::Counters pipeline_counters() const;

 private:
  // The ReadyLoop's ports: this node's storage, observer and machines.
  struct Ports : consensus::ReadyPorts {
    explicit Ports(SimNode& n) : node(n) {}
    void persist(const consensus::Ready& ready) override;
    void send(const consensus::Envelope& envelope) override;
    void restore(const consensus::Snapshot& snapshot) override;
    void apply(const LogEntry& entry) override;
    void read_confirmed(const consensus::ReadState& read) override;
    void advanced(const consensus::Ready& ready) override;
    SimNode& node;
  };

  void run();
  void step_input(const NodeInput& input);
  void begin_ready();
  void finish_ready();
  void restore_snapshot(const consensus::Snapshot& snapshot);
  // Both states from snapshot data (pipeline mode: the composite form).
  Status decode_snapshot(std::span<const std::uint8_t> data,
                         LogStateMachine& log, state::StateMachine& machine);
  Bytes encode_snapshot() const;
  void apply_entry(const LogEntry& entry);
  void catch_up(const consensus::InitialState& initial);
  void maybe_compact();
  void serve_reads();
  void note_written(const consensus::Ready& ready);
  // Pipeline mode: what slurpd's loop does around its LeaderPipeline.
  void pipeline_turn(const PipelineTurnInput& turn);
  void pipeline_results(const ResultInput& results);
  void pipeline_applied(const LogEntry& entry,
                        const state::ApplyOutcome& outcome);
  void follow_leadership();

  NodeIndex index_;
  NodeSettings settings_;
  Prng& prng_;
  NodeObserver& observer_;
  storage::MemoryStorage storage_;  // survives crashes: the "disk"
  std::unique_ptr<consensus::Raft> raft_;
  LogStateMachine state_;
  state::StateMachine machine_;
  ShadowLog log_;
  std::optional<consensus::Ready> ready_;  // waiting for its fsync
  std::deque<NodeInput> inbox_;
  std::vector<consensus::ReadState> reads_;  // confirmed, not yet applied
  bool paused_ = false;
  std::uint64_t next_compact_at_ = 0;
  consensus::HardState written_hs_;  // last written, this life
  consensus::HardState synced_hs_;
  std::uint64_t unsynced_from_ = UINT64_MAX;
  std::uint64_t synced_last_index_ = 0;
  NodeCounters counters_;
  // Pipeline mode: this life's pipeline (a crash loses it, as it does
  // slurpd's), the leadership it last saw, and the counters of past lives.
  std::unique_ptr<node::LeaderPipeline> pipeline_;
  // Pipeline mode: this life's job client requests in flight, kept by
  // slurpd's RequestTable (Node keeps its proposals there).
  std::unique_ptr<node::RequestTable> requests_;
  void requests_back(std::vector<node::ClientRequest> requests);
  bool pipeline_leading_ = false;
  std::uint64_t pipeline_term_ = 0;
  node::LeaderPipeline::Counters pipeline_past_;
};

}  // namespace slurp::sim
