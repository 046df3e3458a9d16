#include "tests/sim/sim_node.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "tests/sim/overloaded.h"

namespace slurp::sim {
std::string node_name(NodeIndex node) {
  return "n" + std::to_string(node + 1);
}

std::optional<NodeIndex> parse_node_name(std::string_view name,
                                         std::size_t node_count) {
  if (name.size() < 2 || name.size() > 4 || name[0] != 'n') return std::nullopt;
  std::size_t number = 0;
  for (char c : name.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + static_cast<std::size_t>(c - '0');
  }
  if (number == 0 || number > node_count) return std::nullopt;
  return number - 1;
}

// A job client's "connection" in the RequestTable: its index.
Bytes client_connection(std::size_t client) {
  Bytes id(8);
  for (std::size_t i = 0; i < 8; ++i) {
    id[i] = static_cast<std::uint8_t>(client >> (8 * i));
  }
  return id;
}

std::size_t client_of(const node::ReplyRoute& route) {
  std::size_t client = 0;
  for (std::size_t i = 0; i < route.routing_id.size() && i < 8; ++i) {
    client |= static_cast<std::size_t>(route.routing_id[i]) << (8 * i);
  }
  return client;
}

Bytes pipeline_snapshot(const LogStateMachine& log,
                        const state::StateMachine& machine) {
  Bytes log_bytes = log.serialize();
  Bytes out;
  std::uint64_t n = log_bytes.size();
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  }
  out.insert(out.end(), log_bytes.begin(), log_bytes.end());
  Bytes sm = machine.snapshot();
  out.insert(out.end(), sm.begin(), sm.end());
  return out;
}

Bytes SimNode::encode_snapshot() const {
  if (!settings_.pipeline) return state_.serialize();
  return pipeline_snapshot(state_, machine_);
}

Status SimNode::decode_snapshot(std::span<const std::uint8_t> data,
                                LogStateMachine& log,
                                state::StateMachine& machine) {
  std::span<const std::uint8_t> log_part = data;
  if (settings_.pipeline) {
    if (data.size() < 8) {
      return make_error(ErrorCode::internal, "pipeline snapshot truncated");
    }
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      n |= static_cast<std::uint64_t>(data[i]) << (8 * i);
    }
    if (n > data.size() - 8) {
      return make_error(ErrorCode::internal, "pipeline snapshot truncated");
    }
    log_part = data.subspan(8, static_cast<std::size_t>(n));
    if (Status s =
            machine.restore(data.subspan(8 + static_cast<std::size_t>(n)));
        !s) {
      return s;
    }
  }
  auto restored = LogStateMachine::deserialize(log_part);
  if (!restored) return restored.error();
  log = std::move(*restored);
  return ok_status();
}

SimNode::SimNode(NodeIndex index, NodeSettings settings, Prng& prng,
                 NodeObserver& observer)
    : index_(index),
      settings_(std::move(settings)),
      prng_(prng),
      observer_(observer) {
  assert(settings_.config.id == node_name(index));
  assert(settings_.compact_entries_min <= settings_.compact_entries_max);
}

Status SimNode::start(std::uint64_t raft_seed) {
  assert(!up());
  storage::LoadStats stats;
  auto loaded = storage_.load(&stats);
  if (!loaded) return loaded.error();
  counters_.torn_records_dropped += stats.torn_records_dropped;
  observer_.on_loaded(*this, *loaded);
  ++counters_.starts;
  log_.reset(*loaded);
  written_hs_ = synced_hs_ = loaded->hard_state;
  synced_last_index_ = log_.last_index();
  unsynced_from_ = UINT64_MAX;
  state_ = LogStateMachine();
  machine_ = state::StateMachine();
  if (loaded->snapshot) {
    LogStateMachine restored;
    state::StateMachine machine;
    if (Status s =
            decode_snapshot(*loaded->snapshot->data.bytes(), restored, machine);
        !s) {
      return s;
    }
    if (restored.applied_index() != loaded->snapshot->meta.last_index) {
      return make_error(ErrorCode::internal,
                        "stored snapshot's state does not match its index");
    }
    state_ = std::move(restored);
    machine_ = std::move(machine);
  }
  consensus::Config config = settings_.config;
  config.seed = raft_seed;
  auto raft = consensus::Raft::create(config, *loaded);
  if (!raft) return raft.error();
  raft_ = std::move(*raft);
  if (settings_.fault != consensus::Raft::Fault::none) {
    raft_->inject_fault_for_testing(settings_.fault);
  }
  if (settings_.pipeline) {
    // A new process: nothing in flight, a new jitter seed (from the run's
    // PRNG, so the run replays).
    node::LeaderPipeline::Settings pipeline = settings_.leader_pipeline;
    pipeline.node_id = name();
    pipeline.seed = prng_.next();
    pipeline_ = std::make_unique<node::LeaderPipeline>(std::move(pipeline));
    pipeline_->inject_fault_for_testing(settings_.pipeline_fault);
    pipeline_leading_ = false;
    pipeline_term_ = 0;
    requests_ = std::make_unique<node::RequestTable>();
  }
  if (loaded->snapshot) observer_.on_restore(*this);
  catch_up(*loaded);
  next_compact_at_ =
      state_.applied_index() + prng_.between(settings_.compact_entries_min,
                                             settings_.compact_entries_max);
  observer_.on_settled(*this);
  run();
  return ok_status();
}

// A core may start with applied == commit instead of re-emitting the
// committed log in its first Ready; then the state machine is rebuilt here
// from the loaded entries ("snapshot + committed log").
void SimNode::catch_up(const consensus::InitialState& initial) {
  while (state_.applied_index() < raft_->applied_index()) {
    std::uint64_t next = state_.applied_index() + 1;
    auto it = std::find_if(
        initial.entries.begin(), initial.entries.end(),
        [next](const LogEntry& entry) { return entry.index == next; });
    if (it == initial.entries.end()) {
      observer_.on_anomaly(*this, "core starts applied at " +
                                      std::to_string(raft_->applied_index()) +
                                      " but entry " + std::to_string(next) +
                                      " is not in the loaded log");
      return;
    }
    apply_entry(*it);
  }
}

void SimNode::crash(bool tear) {
  assert(up());
  storage_.crash([this] { return prng_.next(); }, tear);
  raft_.reset();
  if (pipeline_) {
    pipeline_past_ += pipeline_->counters();
    pipeline_.reset();
  }
  if (requests_) {
    // The clients' connections broke: they send again.
    auto unanswered = requests_->take_unanswered();
    requests_.reset();
    requests_back(std::move(unanswered));
  }
  ready_.reset();
  inbox_.clear();
  reads_.clear();
  paused_ = false;
  ++counters_.crashes;
  // log_, state_ and the synced marks stay until the next start(): the
  // checker compares what storage recovers with them.
}

void SimNode::resume() {
  paused_ = false;
  run();
}

void SimNode::input(NodeInput input) {
  if (!up()) return;
  if (paused_ || !inbox_.empty()) {
    if (inbox_.size() >= settings_.inbox_inputs_max) {
      ++counters_.inbox_dropped;
      return;
    }
    inbox_.push_back(std::move(input));
    return;
  }
  step_input(input);
  run();
}

// As slurpd's loop: inputs are stepped as they come, also while a Ready
// waits for its fsync (what they produce waits for the next Ready, except
// the messages that may leave early, sent at once); the next Ready is
// taken only once the fsync is done, so it covers everything stepped
// meanwhile (group commit).
void SimNode::run() {
  while (up() && !paused_) {
    if (!blocked() && raft_->has_ready()) {
      begin_ready();
      continue;
    }
    if (inbox_.empty()) break;
    std::deque<NodeInput> batch;
    batch.swap(inbox_);
    for (const NodeInput& input : batch) {
      if (!up()) return;
      step_input(input);
    }
  }
  if (up() && blocked()) {
    Ports ports{*this};
    consensus::ReadyLoop::send_early(*raft_, ports);
  }
}

void SimNode::step_input(const NodeInput& input) {
  std::visit(
      Overloaded{
          [&](const TickInput&) { raft_->tick(); },
          [&](const MessageInput& m) { raft_->step(m.message); },
          [&](const ProposalInput& p) {
            auto outcome = raft_->propose(p.kind, p.payload);
            if (outcome && p.pipeline && requests_) {
              // As Node::propose: the table keeps it by index.
              node::ClientRequest request;
              request.route.routing_id = client_connection(p.client);
              request.id = p.request;
              request.received_ms = p.sent_ms;
              request.sent = true;
              requests_->proposed(*outcome, raft_->term(), std::move(request));
            }
            observer_.on_proposal(*this, p, outcome);
          },
          [&](const ReadInput& r) {
            observer_.on_read_index(*this, r, raft_->read_index(r.request));
          },
          [&](const TransferInput& t) {
            // Refusals (not leader, a transfer under way) are the
            // operator's problem, not a safety matter.
            (void)raft_->transfer_leadership(t.to);
          },
          [&](const PipelineTurnInput& t) { pipeline_turn(t); },
          [&](const ResultInput& r) { pipeline_results(r); },
      },
      input);
  observer_.on_settled(*this);
}

// The shared ReadyLoop (src/consensus/ready_loop.h), in its two halves:
// begin() writes the durable part (persist below), and finish() runs once
// the simulated fsync is done, or at once when nothing needed one.
void SimNode::begin_ready() {
  Ports ports{*this};
  // As slurpd's node: what may leave before the write, first.
  consensus::ReadyLoop::send_early(*raft_, ports);
  if (!consensus::ReadyLoop::begin(*raft_, ports, ready_)) return;
  if (!consensus::ReadyLoop::durable(*ready_)) {
    finish_ready();
    return;
  }
  observer_.on_fsync_started(*this);
}

void SimNode::Ports::persist(const consensus::Ready& ready) {
  node.observer_.on_write(node, ready);
  Status written =
      node.storage_.write(ready.hard_state, ready.entries, ready.snapshot);
  if (written) {
    node.note_written(ready);
  } else {
    node.observer_.on_anomaly(
        node, "storage write refused the Ready: " + written.error().describe());
  }
}

void SimNode::Ports::send(const consensus::Envelope& envelope) {
  node.observer_.on_send(node, envelope);
}

void SimNode::Ports::restore(const consensus::Snapshot& snapshot) {
  node.restore_snapshot(snapshot);
}

void SimNode::Ports::apply(const LogEntry& entry) {
  node.apply_entry(entry);
}

void SimNode::Ports::read_confirmed(const consensus::ReadState& read) {
  node.reads_.push_back(read);
  node.serve_reads();
}

void SimNode::Ports::advanced(const consensus::Ready& /*ready*/) {
  node.maybe_compact();
}

void SimNode::note_written(const consensus::Ready& ready) {
  std::optional<consensus::SnapshotMeta> meta;
  if (ready.snapshot) {
    meta = ready.snapshot->meta;
    unsynced_from_ = std::min(unsynced_from_, meta->last_index + 1);
  }
  log_.write(ready.entries, meta);
  if (!ready.entries.empty()) {
    unsynced_from_ = std::min(unsynced_from_, ready.entries.front().index);
  }
  if (ready.hard_state) written_hs_ = *ready.hard_state;
}

void SimNode::sync_done(std::uint64_t life) {
  if (!up() || life != this->life() || !blocked()) return;
  Status synced = storage_.sync();
  if (!synced) {
    observer_.on_anomaly(*this, "storage sync: " + synced.error().describe());
  }
  synced_hs_ = written_hs_;
  synced_last_index_ = log_.last_index();
  unsynced_from_ = UINT64_MAX;
  observer_.on_synced(*this);
  finish_ready();
  run();
}

void SimNode::finish_ready() {
  consensus::Ready ready = std::move(*ready_);
  ready_.reset();
  Ports ports{*this};
  consensus::ReadyLoop::finish(*raft_, ready, ports);
  observer_.on_settled(*this);
}

void SimNode::restore_snapshot(const consensus::Snapshot& snapshot) {
  std::optional<LogStateMachine> restored{LogStateMachine()};
  state::StateMachine machine;
  if (Status s = decode_snapshot(*snapshot.data.bytes(), *restored, machine);
      !s) {
    observer_.on_anomaly(*this, "snapshot from the core does not restore: " +
                                    s.error().describe());
    return;
  }
  const consensus::SnapshotMeta& meta = snapshot.meta;
  if (restored->applied_index() != meta.last_index ||
      restored->applied_term() != meta.last_term ||
      (settings_.pipeline && machine.applied_index() != meta.last_index)) {
    observer_.on_anomaly(*this, "snapshot data does not match its meta");
    return;
  }
  if (meta.last_index <= state_.applied_index()) {
    observer_.on_anomaly(*this, "snapshot at " +
                                    std::to_string(meta.last_index) +
                                    " would move the state machine back from " +
                                    std::to_string(state_.applied_index()));
    return;
  }
  state_ = std::move(*restored);
  machine_ = std::move(machine);
  ++counters_.snapshots_restored;
  next_compact_at_ = state_.applied_index() + settings_.compact_entries_min;
  observer_.on_restore(*this);
}

void SimNode::apply_entry(const LogEntry& entry) {
  if (entry.index != state_.applied_index() + 1) {
    observer_.on_anomaly(*this, "committed entry " +
                                    std::to_string(entry.index) +
                                    " handed over with the state at " +
                                    std::to_string(state_.applied_index()));
    return;
  }
  observer_.on_apply(*this, entry);
  state_.apply(entry);
  if (settings_.pipeline) {
    state::ApplyOutcome outcome = machine_.apply(entry);
    // As Node::apply_entry: the request proposed at this index is answered
    // if the entry is the one proposed, else sent again.
    if (auto taken =
            requests_ ? requests_->take_proposal(entry) : std::nullopt) {
      if (taken->ours) {
        observer_.on_request_applied(*this, client_of(taken->request.route),
                                     taken->request.id, entry, outcome);
      } else {
        requests_back({std::move(taken->request)});
      }
    }
    observer_.on_state_applied(*this, entry, outcome);
    pipeline_applied(entry, outcome);
  }
}

node::LeaderPipeline::Counters SimNode::pipeline_counters() const {
  node::LeaderPipeline::Counters total = pipeline_past_;
  if (pipeline_) total += pipeline_->counters();
  return total;
}

// slurpd resets its pipeline when it wins or loses leadership
// (Node::after_consensus_change); the simulated node notices the change
// before each use of the pipeline. A new term while leading is a new
// leadership too (lost and won again in between).
void SimNode::follow_leadership() {
  const bool leading = raft_->role() == consensus::RaftRole::leader;
  if (leading != pipeline_leading_ ||
      (leading && raft_->term() != pipeline_term_)) {
    pipeline_->reset();
  }
  if (pipeline_leading_ && !leading && requests_) {
    // Node::reroute_after_step_down.
    requests_back(requests_->take_leader_requests());
  }
  pipeline_leading_ = leading;
  pipeline_term_ = raft_->term();
}

// Node::run_pipeline. The simulated workers' pipe never fills (pushes are
// lost instead, sim_pipeline.h), so the node can always push.
void SimNode::pipeline_turn(const PipelineTurnInput& turn) {
  if (!pipeline_) return;
  follow_leadership();
  auto batches = pipeline_->turn(*raft_, machine_, turn.wall_now_ms,
                                 turn.steady_now_ms, /*can_push=*/true);
  if (!batches.empty()) observer_.on_jobs_pushed(*this, batches);
  // Node::expire_requests: a refusal (timeout) sends the client again.
  auto expired = requests_->expire(turn.steady_now_ms, {});
  std::vector<node::ClientRequest> again;
  for (auto& refused : expired.refused) {
    again.push_back(std::move(refused.request));
  }
  requests_back(std::move(again));
}

// Requests the table handed back go back to their clients, which send
// them again (slurpd would route them itself: forward or hold).
void SimNode::requests_back(std::vector<node::ClientRequest> requests) {
  for (const node::ClientRequest& request : requests) {
    observer_.on_request_again(*this, client_of(request.route), request.id);
  }
}

// Node::accept_results: the pipeline decides; what it does not lead for
// is passed on by the shell.
void SimNode::pipeline_results(const ResultInput& results) {
  if (!pipeline_) return;
  follow_leadership();
  auto verdict = pipeline_->on_results(results.batch, *raft_, machine_,
                                       results.wall_now_ms);
  if (verdict.decision ==
      node::LeaderPipeline::ResultVerdict::Decision::not_leader) {
    observer_.on_results_not_led(*this, results);
  }
}

// Node::on_pipeline_applied.
void SimNode::pipeline_applied(const LogEntry& entry,
                               const state::ApplyOutcome& outcome) {
  if (!pipeline_) return;
  follow_leadership();
  auto batches = pipeline_->on_applied(entry, outcome, *raft_, machine_);
  if (!batches.empty()) observer_.on_jobs_pushed(*this, batches);
}

void SimNode::serve_reads() {
  auto unserved = std::stable_partition(
      reads_.begin(), reads_.end(), [this](const consensus::ReadState& r) {
        return r.index > state_.applied_index();
      });
  for (auto it = unserved; it != reads_.end(); ++it) {
    observer_.on_read_served(*this, *it);
  }
  reads_.erase(unserved, reads_.end());
}

// Compacts every 50-200 applied entries (drawn per compaction) so that
// snapshots are taken, stored, sent and installed often in every run.
void SimNode::maybe_compact() {
  const std::uint64_t applied = state_.applied_index();
  if (applied < next_compact_at_ || applied <= log_.snapshot_index()) return;
  consensus::Snapshot snapshot{{applied, state_.applied_term()},
                               encode_snapshot()};
  if (Status s = raft_->compact(applied, snapshot.data); !s) {
    // A snapshot from the leader stepped in during the last fsync is the
    // core's already and is installed by the next Ready: as slurpd does
    // (Node::finish_snapshot), drop ours and try again later.
    if (s.error().code == ErrorCode::conflict) {
      next_compact_at_ = applied + settings_.compact_entries_min;
      return;
    }
    observer_.on_anomaly(*this, "Raft::compact: " + s.error().describe());
    return;
  }
  if (Status s = storage_.compact(applied, snapshot); !s) {
    observer_.on_anomaly(*this, "storage compact: " + s.error().describe());
    return;
  }
  log_.compact(snapshot.meta);
  ++counters_.compactions;
  next_compact_at_ = applied + prng_.between(settings_.compact_entries_min,
                                             settings_.compact_entries_max);
}

}  // namespace slurp::sim
