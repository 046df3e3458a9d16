// Driving the Raft core: ticks, persisting and applying its Ready, peer
// messages in and out, snapshots.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "protocol/codec.h"
#include "protocol/limits.h"
#include "src/consensus/ready_loop.h"
#include "src/node/node.h"
#include "src/storage/store_snapshot.h"

namespace slurp::node {
namespace {

// After a stall (a slow fsync, a stopped process) the core is not asked
// to catch up more than this many ticks at once: an election storm helps
// nobody.
constexpr int kTicksPerTurnMax = 10;

}  // namespace

void Node::tick_until_now() {
  const auto period = std::chrono::milliseconds(options_.timing.tick_ms);
  auto now = std::chrono::steady_clock::now();
  int ticks = 0;
  while (now >= next_tick_) {
    if (ticks < kTicksPerTurnMax) {
      raft_->tick();
      ++ticks;
    }
    next_tick_ += period;
  }
}

// Raft's contract, carried out by the one ReadyLoop (ready_loop.h) with
// this node's ports below. A Ready's durable part goes to the log writer
// thread (storage/log_writer.h); until it is on disk this thread goes on
// serving sockets and stepping the core, and sends only what may leave
// before it (a leader's appends and heartbeats). Once it is durable the
// Ready is finished (sent, applied, advanced) and the next one, which
// covers everything that arrived meanwhile, is started.
//
// A Ready with nothing durable is finished at once. Readies are taken
// until the core has none, one is being written, or this turn has spent
// ready_work_per_turn_ms on them: a backlog (a restart's committed
// entries, a burst of stored contexts) is applied over several turns,
// each of which also serves the sockets and ticks. Stopping between two
// Readies is always safe: the core holds the rest for the next turn,
// whose poll does not wait (loop_once).
void Node::process_ready() {
  if (log_writer_->busy()) {
    std::optional<Status> done = log_writer_->take_done();
    if (!done) {
      consensus::ReadyLoop::send_early(*raft_, *this);
      return;
    }
    if (!*done) storage_failed(done->error());
    finish_ready();
  }
  const std::uint64_t deadline_us =
      steady_now_us() + limits::ready_work_per_turn_ms * 1000;
  while (true) {
    consensus::ReadyLoop::send_early(*raft_, *this);
    if (!consensus::ReadyLoop::begin(*raft_, *this, ready_in_flight_)) break;
    if (log_writer_->busy()) return;  // finished once durable
    finish_ready();
    if (steady_now_us() >= deadline_us) break;
  }
}

void Node::finish_ready() {
  consensus::ReadyLoop::finish(*raft_, *ready_in_flight_, *this);
  ready_in_flight_.reset();
}

// A storage failure is fatal: continuing could acknowledge what is not on
// disk.
void Node::storage_failed(const Error& error) {
  spdlog::critical("storage failed, stopping at once: {}", error.describe());
  audit("storage.failed", options_.node_id, error.describe());
  std::_Exit(3);
}

// Hands the Ready to the log writer: one write and one fsync per Ready,
// on its thread.
void Node::persist(const consensus::Ready& ready) {
  PhaseTimer timer(turn_phases_, TurnPhase::persist);
  log_writer_->submit(ready);
}

void Node::restore(const consensus::Snapshot& snapshot) {
  PhaseTimer timer(turn_phases_, TurnPhase::snapshot);
  // Replaces contexts.db's contents on this thread, in proportion to the
  // store: an install from the leader is rare (a new or long-gone member).
  // Assembled in memory by the core; read whole only if it ever is not.
  Result<Bytes> read = snapshot.data.bytes() != nullptr
                           ? Result<Bytes>(Bytes())
                           : snapshot.data.read_all();
  const Bytes* bytes = snapshot.data.bytes() != nullptr ? snapshot.data.bytes()
                       : read                           ? &*read
                                                        : nullptr;
  Status s = bytes != nullptr ? state_.restore(*bytes) : Status(read.error());
  if (s) s = contexts_->commit(snapshot.meta.last_index, true);
  if (!s) {
    spdlog::critical("snapshot from the leader does not restore: {}",
                     s.error().describe());
    std::_Exit(3);
  }
  applied_term_ = snapshot.meta.last_term;
  snapshot_index_ = snapshot.meta.last_index;
  spdlog::info(
      "installed the leader's snapshot at index {} ({} bytes, {} "
      "contexts)",
      snapshot.meta.last_index, snapshot.data.size(), state_.context_count());
  publish("snapshot.installed", {{"index", std::to_string(snapshot_index_)}});
}

// An entry that alone takes a good part of a turn is named in the log
// (kind, size, where the time went on this thread), at most once a second.
void Node::apply(const LogEntry& entry) {
  PhaseTimer timer(turn_phases_, TurnPhase::apply);
  const std::uint64_t start_us = steady_now_us();
  const std::uint64_t cpu_start_us = thread_cpu_us();
  const ThreadSwitches switches_start = thread_switches();
  apply_entry(entry);
  const std::uint64_t took_us = steady_now_us() - start_us;
  if (took_us < limits::loop_turn_warn_ms * 1000 / 2) return;
  std::uint64_t left_out = 0;
  if (!slow_apply_log_.allow(steady_now_ms(), &left_out)) return;
  const ThreadSwitches switches = thread_switches().since(switches_start);
  spdlog::warn(
      "applying entry {} (kind {}, {} bytes) took {:.1f} ms ({:.1f} ms on a "
      "core, blocked {} and preempted {} times){}",
      entry.index, entry.kind, entry.data.size(),
      static_cast<double>(took_us) / 1000.0,
      static_cast<double>(thread_cpu_us() - cpu_start_us) / 1000.0,
      switches.blocked, switches.preempted,
      left_out > 0 ? fmt::format(" ({} more not logged)", left_out)
                   : std::string());
}

void Node::read_confirmed(const consensus::ReadState& read) {
  requests_.read_confirmed(read);
}

// What the Ready applied becomes visible to the reader threads and the
// next snapshot (no fsync: contexts.db is rebuilt from the log if lost).
// A failed write to it is fatal like a failed fsync of the log: the state
// would no longer be what the log says.
void Node::advanced(const consensus::Ready& /*ready*/) {
  {
    PhaseTimer timer(turn_phases_, TurnPhase::store_commit);
    Status s = contexts_->commit(state_.applied_index());
    if (!s) {
      spdlog::critical("contexts.db failed, stopping at once: {}",
                       s.error().describe());
      audit("storage.failed", options_.node_id, s.error().describe());
      std::_Exit(3);
    }
  }
  maybe_compact();
}

void Node::apply_entry(const LogEntry& entry) {
  state::ApplyOutcome outcome = state_.apply(entry);
  applied_term_ = entry.term;
  const bool leading = raft_->role() == consensus::RaftRole::leader;
  // State-machine events come from the leader alone; followers apply
  // silently. Around a leader change an old leader that has not yet heard
  // of its successor and the new one may both apply (and publish) the same
  // entry, so delivery is at least once: each such event carries `entry`,
  // "<log index>.<n>", the same on every node, for subscribers to drop
  // repeats (PROTOCOL.md, "Events").
  //
  // A leader killed right after applying an entry loses the events still
  // in its PUB socket, and its followers applied the entry silently: a
  // subscriber never heard of that job.completed (security/events_once
  // saw it under load). So a follower keeps the events of the entries it
  // applied last (events_republished_max) and publishes them once it
  // leads; subscribers drop the repeats by `entry`.
  std::uint64_t n = 0;
  for (state::StateEvent& e : outcome.events) {
    e.attrs["entry"] = std::to_string(entry.index) + "." + std::to_string(n++);
    if (leading) {
      publish(std::move(e.topic), std::move(e.attrs));
      continue;
    }
    follower_events_.push_back(std::move(e));
    if (follower_events_.size() > limits::events_republished_max) {
      follower_events_.pop_front();
    }
  }
  if (auto proposal = requests_.take_proposal(entry)) {
    if (proposal->ours) {
      answer_applied(std::move(proposal->request), entry, outcome);
    } else {
      // Another leader's entry took the index: ours was never committed.
      route_request(std::move(proposal->request));
    }
  }
  for (const state::JobEnded& ended : outcome.ended) notify_job_ended(ended);
  on_pipeline_applied(entry, outcome);
}

// Snapshots are encoded and written by a forked child and read back by a
// helper thread (snapshot_fork.h); what remains on this thread is the
// fork, moving the bytes into Raft, recording them in SQLite and trimming
// the log a little per turn. Taking one after at least as many entries as
// the state has records keeps the total work per applied entry constant
// as the state grows.
void Node::maybe_compact() {
  if (trim_pending_) {
    PhaseTimer timer(turn_phases_, TurnPhase::trim);
    auto more = storage_->trim_compacted(limits::snapshot_trim_rows_per_turn);
    if (!more) {
      spdlog::error("trimming the compacted log: {}", more.error().describe());
    }
    trim_pending_ = more && *more;
  }
  PhaseTimer timer(turn_phases_, TurnPhase::snapshot);
  if (snapshot_child_) {
    finish_snapshot(*snapshot_child_);
    return;
  }
  const std::uint64_t applied = state_.applied_index();
  // The snapshot holds the core only (the contexts stay in contexts.db),
  // so its cost grows with the queue, not with the store.
  const std::uint64_t records = state_.queued_tasks() + state_.active_tasks();
  std::uint64_t interval = std::max<std::uint64_t>(
      options_.limits.snapshot_interval_entries, records);
  // Staggered by the node's place among the members: when every node
  // snapshotted at the same index, every node's disk and copy-on-write
  // page faults peaked at once, and slurp-bench saw elections. The first
  // member waits one interval, the last nearly one and a half.
  interval += interval * member_rank_ / (2 * options_.members.size());
  if (applied <
      std::max(snapshot_index_, compaction_refused_index_) + interval) {
    return;
  }
  // Everything up to `applied` committed, and recorded as such, before the
  // snapshot's contexts are read as of it (snapshot_fork.h).
  if (Status s = contexts_->commit(applied, true); !s) {
    spdlog::critical("contexts.db failed, stopping at once: {}",
                     s.error().describe());
    std::_Exit(3);
  }
  auto child = SnapshotFork::start(state_, {applied, applied_term_},
                                   storage_->dir(), contexts_->dir());
  if (!child) {
    compaction_refused_index_ = applied;
    spdlog::warn(
        "snapshot at {} not started: {} (next try after {} more "
        "entries)",
        applied, child.error().describe(), interval);
    return;
  }
  snapshot_child_.emplace(std::move(*child));
}

void Node::finish_snapshot(SnapshotFork& child) {
  auto done = child.poll();
  if (!done) return;
  using Ms = std::chrono::duration<double, std::milli>;
  const auto start = std::chrono::steady_clock::now();
  const consensus::SnapshotMeta meta = child.meta();
  const double child_ms = Ms(start - child.started()).count();
  const double fork_ms = child.fork_ms();
  snapshot_child_.reset();
  if (meta.last_index <= snapshot_index_) {
    // A snapshot from the leader was installed meanwhile. Its file may be
    // this very path: leave the files to the storage's sweep.
    spdlog::info("snapshot at {} not adopted: the one installed at {} is newer",
                 meta.last_index, snapshot_index_);
    return;
  }
  // Not again before another interval: whatever failed may fail again.
  auto refuse = [&](const Error& error) {
    compaction_refused_index_ = meta.last_index;
    std::error_code ignored;
    std::filesystem::remove(storage::SqliteStorage::snapshot_file_path(
                                storage_->dir(), meta.last_index),
                            ignored);
    spdlog::warn("snapshot at {} dropped: {}", meta.last_index,
                 error.describe());
  };
  if (!*done) return refuse(done->error());
  SnapshotFork::Written& written = **done;
  const std::uint64_t size = written.size;
  // The file holds the core; Raft gets the whole snapshot, its contexts
  // read from contexts.db when a follower needs them.
  consensus::SnapshotData data = storage::store_snapshot_data(
      std::move(written.data), contexts_->dir(), meta.last_index,
      child.context_count(), child.context_bytes());
  if (Status s = raft_->compact(meta.last_index, std::move(data)); !s) {
    return refuse(s.error());
  }
  if (Status s = storage_->compact_written(meta, size, written.crc); !s) {
    spdlog::error("storage compaction at {}: {}", meta.last_index,
                  s.error().describe());
    return;
  }
  snapshot_index_ = meta.last_index;
  trim_pending_ = true;
  spdlog::info(
      "snapshot at index {} ({} bytes): written and read back in {:.1f} ms "
      "away from the node thread; on it: fork {:.1f} ms, adopting {:.1f} ms",
      meta.last_index, size, child_ms, fork_ms,
      Ms(std::chrono::steady_clock::now() - start).count());
}

void Node::send(const consensus::Envelope& envelope) {
  auto peer = peers_.find(envelope.to);
  if (peer == peers_.end()) return;
  const std::string payload = std::visit(
      [](const auto& m) { return encode(Message(m)); }, envelope.message);
  // Never block the loop on a peer: a DEALER with no live connection
  // refuses (immediate), and Raft retransmits whatever is lost.
  try {
    (void)peer->second.send(zmq::buffer(payload), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    spdlog::debug("to {}: {}", envelope.to, e.what());
  }
}

// A consensus message from a peer. The message names its sender; it must
// be the key that ZAP authenticated, so one node's key cannot speak for
// another (node keys are named by node id in authorized_keys).
void Node::step_raft(const std::string& sender, ConsensusMessage message) {
  const std::string& claimed = sender_of(message);
  if (claimed != sender) {
    spdlog::warn("consensus message from key '{}' claims to be from '{}'",
                 sender, claimed);
    audit_refusal(
        "request.rejected", sender,
        make_error(ErrorCode::forbidden,
                   "consensus message claims sender '" + claimed + "'"));
    return;
  }
  peer_heard_ms_[claimed] = steady_now_ms();
  if (raft_->leader() && claimed == *raft_->leader()) {
    last_leader_contact_ms_ = steady_now_ms();
  }
  raft_->step(message);
}

// Notices what changed in the core since the last turn: an election won or
// lost, a new leader to send held requests to.
void Node::after_consensus_change() {
  const consensus::RaftRole role = raft_->role();
  const std::optional<std::string> leader = raft_->leader();
  const bool was_leader = last_role_ == consensus::RaftRole::leader;
  const bool is_leader = role == consensus::RaftRole::leader;
  if (is_leader && !was_leader) {
    spdlog::info("elected leader for term {}", raft_->term());
    audit("leader.elected", options_.node_id,
          "term " + std::to_string(raft_->term()));
    publish("leader.elected", {{"leader", options_.node_id}});
    for (state::StateEvent& e : follower_events_) {
      publish(std::move(e.topic), std::move(e.attrs));
    }
    follower_events_.clear();
    next_beacon_ms_ = 0;  // announce at once
    reset_pipeline();
    peer_healthy_.clear();
    leader_since_ms_ = steady_now_ms();
  }
  if (was_leader && !is_leader) {
    spdlog::info("stepped down in term {} (leader now {})", raft_->term(),
                 leader.value_or("unknown"));
    audit("leader.stepped_down", options_.node_id,
          "term " + std::to_string(raft_->term()));
    publish("leader.stepped_down", {{"leader", leader.value_or("")}});
    reset_pipeline();
    reroute_after_step_down();
  }
  if (leader != last_leader_) {
    if (leader) last_leader_contact_ms_ = steady_now_ms();
    if (!is_leader) {
      spdlog::info("leader is {} (term {})", leader.value_or("unknown"),
                   raft_->term());
    }
    // Requests forwarded to a leader that is gone may never be answered:
    // send them again (generate and cancel are idempotent).
    for (ClientRequest& request : requests_.take_forwarded_elsewhere(leader)) {
      route_request(std::move(request));
    }
  }
  last_role_ = role;
  last_leader_ = leader;
}

}  // namespace slurp::node
