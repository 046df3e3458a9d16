// Raft: construction, the public surface, message dispatch with the term
// rules every message obeys (§3.3), Ready/advance, invariants.
#include "src/consensus/raft.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "src/consensus/raft_state.h"

namespace slurp::consensus {
namespace {

// Terms and indices above this make no sense for any real cluster; a
// message carrying one is dropped, which also keeps term + 1 and
// index + entries.size() far from overflow.
constexpr std::uint64_t kSaneMax = std::uint64_t{1} << 62;

Status bad_initial(std::string field, std::string reason) {
  return make_error(ErrorCode::bad_request, std::move(reason),
                    "initial." + field);
}

Status validate_initial(const Config& config, const InitialState& initial) {
  std::uint64_t index = 0, term = 0;
  const HardState& hs = initial.hard_state;
  if (initial.snapshot) {
    index = initial.snapshot->meta.last_index;
    term = initial.snapshot->meta.last_term;
    if ((index == 0) != (term == 0) || term > hs.term) {
      return bad_initial("snapshot.meta", "inconsistent index/term");
    }
    if (initial.snapshot->data.bytes() != nullptr &&
        initial.snapshot->data.size() > config.snapshot_bytes_max) {
      return bad_initial("snapshot.data", "over snapshot_bytes_max");
    }
  }
  const std::uint64_t snapshot_index = index;
  for (std::size_t i = 0; i < initial.entries.size(); ++i) {
    const LogEntry& e = initial.entries[i];
    std::string field = "entries[" + std::to_string(i) + "]";
    if (e.index != index + 1) return bad_initial(field + ".index", "gap");
    if (e.term == 0 || e.term < term || e.term > hs.term) {
      return bad_initial(field + ".term", "out of order");
    }
    index = e.index;
    term = e.term;
  }
  if (hs.commit > index) {
    return bad_initial("hard_state.commit", "beyond the last index");
  }
  if (hs.commit < snapshot_index) {
    return bad_initial("hard_state.commit", "below the snapshot");
  }
  if (!hs.voted_for.empty() &&
      std::find(config.members.begin(), config.members.end(), hs.voted_for) ==
          config.members.end()) {
    return bad_initial("hard_state.voted_for", "not a member");
  }
  return ok_status();
}

}  // namespace

// ---- construction -----------------------------------------------------------

void Raft::State::init(Config c, InitialState initial) {
  config = std::move(c);
  for (const NodeId& m : config.members) {
    if (m != config.id) peers.push_back(m);
  }
  quorum = config.members.size() / 2 + 1;
  rng = SplitMix64(config.seed ^ fnv1a64(config.id));
  term = initial.hard_state.term;
  voted_for = initial.hard_state.voted_for;
  commit = initial.hard_state.commit;
  std::uint64_t snap_index = 0, snap_term = 0;
  if (initial.snapshot) {
    snap_index = initial.snapshot->meta.last_index;
    snap_term = initial.snapshot->meta.last_term;
    snapshot = std::make_shared<const Snapshot>(std::move(*initial.snapshot));
  }
  log = RaftLog(snap_index, snap_term, std::move(initial.entries));
  // The state machine is rebuilt from the snapshot plus the log, so
  // everything committed after the snapshot is applied again.
  applied = apply_emitted = snap_index;
  stable_index = log.last_index();
  unstable_from = log.last_index() + 1;
  hard_state_emitted = initial.hard_state;
  durable_term = initial.hard_state.term;
  leader_contact_elapsed = config.election_ticks_max;
  votes.assign(peers.size(), 0);
  reset_election_timer();
  checked_term = term;
  checked_vote = voted_for;
  checked_commit = commit;
}

Result<std::unique_ptr<Raft>> Raft::create(Config config,
                                           InitialState initial) {
  if (Status s = config.validate(); !s) return s.error();
  if (Status s = validate_initial(config, initial); !s) return s.error();
  auto state = std::make_unique<State>();
  state->init(std::move(config), std::move(initial));
  state->check_invariants();
  return std::unique_ptr<Raft>(new Raft(std::move(state)));
}

Raft::Raft(std::unique_ptr<State> state) : s_(std::move(state)) {}
Raft::~Raft() = default;

// ---- inputs -----------------------------------------------------------------

void Raft::tick() {
  s_->tick();
  s_->check_invariants();
}

void Raft::step(const RaftMessage& message) {
  s_->step(message);
  s_->check_invariants();
}

Result<std::uint64_t> Raft::propose(std::uint64_t kind, Bytes data) {
  auto r = s_->propose(kind, std::move(data));
  s_->check_invariants();
  return r;
}

Status Raft::read_index(std::uint64_t request_id) {
  Status r = s_->read_index(request_id);
  s_->check_invariants();
  return r;
}

Status Raft::transfer_leadership(const NodeId& to) {
  Status r = s_->transfer_leadership(to);
  s_->check_invariants();
  return r;
}

Status Raft::compact(std::uint64_t index, SnapshotData data) {
  Status r = s_->compact(index, std::move(data));
  s_->check_invariants();
  return r;
}

bool Raft::has_ready() const {
  return s_->has_ready();
}
Ready Raft::ready() {
  return s_->ready();
}
void Raft::advance(const Ready& ready) {
  s_->advance(ready);
  s_->check_invariants();
}
std::vector<Envelope> Raft::take_early_messages() {
  return s_->take_early_messages();
}

// ---- accessors --------------------------------------------------------------

const NodeId& Raft::id() const {
  return s_->config.id;
}
RaftRole Raft::role() const {
  return s_->role;
}
std::uint64_t Raft::term() const {
  return s_->term;
}
std::optional<NodeId> Raft::leader() const {
  if (s_->leader_id.empty()) return std::nullopt;
  return s_->leader_id;
}
std::uint64_t Raft::commit_index() const {
  return s_->commit;
}
std::uint64_t Raft::last_index() const {
  return s_->log.last_index();
}
std::uint64_t Raft::applied_index() const {
  return s_->applied;
}
const RaftCounters& Raft::counters() const {
  return s_->counters;
}
std::optional<NodeId> Raft::transfer_target() const {
  return s_->transfer_target;
}

std::map<NodeId, Progress> Raft::progress() const {
  std::map<NodeId, Progress> out;
  if (s_->role != RaftRole::leader) return out;
  for (std::size_t p = 0; p < s_->peers.size(); ++p) {
    const FollowerProgress& pr = s_->progress[p];
    out[s_->peers[p]] =
        Progress{pr.match_index, pr.next_index, pr.inflight.size(),
                 pr.recently_active, pr.mode == ReplicationMode::snapshot};
  }
  return out;
}

void Raft::inject_fault_for_testing(Fault fault) {
  s_->fault = fault;
}

// ---- dispatch
// -----------------------------------------------------------------

bool Raft::State::known_peer(const NodeId& from) const {
  return peer_index(from).has_value();
}

std::optional<std::size_t> Raft::State::peer_index(const NodeId& id) const {
  for (std::size_t p = 0; p < peers.size(); ++p) {
    if (peers[p] == id) return p;
  }
  return std::nullopt;
}

void Raft::State::send(const NodeId& to, RaftMessage message) {
  outbox.push_back(Envelope{to, std::move(message)});
}

void Raft::State::step(const RaftMessage& message) {
  const NodeId& from = sender_of(message);
  std::visit(
      [this, &from](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if (!known_peer(from) || m.term > kSaneMax) return drop();
        // Pre-votes never change anyone's term (§9.6): a request is judged
        // at our term, and a granted reply carries the term we would use.
        bool pre_vote_exempt = false;
        if constexpr (std::is_same_v<M, Vote>) pre_vote_exempt = m.pre_vote;
        if constexpr (std::is_same_v<M, VoteReply>) {
          pre_vote_exempt = m.pre_vote && m.granted;
        }
        if (m.term > term && !pre_vote_exempt) {
          // Only a leader's messages tell us who leads the new term.
          constexpr bool from_leader = std::is_same_v<M, Append> ||
                                       std::is_same_v<M, SnapshotChunk> ||
                                       std::is_same_v<M, TimeoutNow>;
          become_follower(m.term, from_leader ? from : NodeId{});
        } else if (m.term < term) {
          return on_stale(m);
        }
        if constexpr (std::is_same_v<M, Vote>) on_vote(m);
        if constexpr (std::is_same_v<M, VoteReply>) on_vote_reply(m);
        if constexpr (std::is_same_v<M, Append>) on_append(m);
        if constexpr (std::is_same_v<M, AppendReply>) on_append_reply(m);
        if constexpr (std::is_same_v<M, SnapshotChunk>) on_snapshot_chunk(m);
        if constexpr (std::is_same_v<M, SnapshotReply>) on_snapshot_reply(m);
        if constexpr (std::is_same_v<M, TimeoutNow>) on_timeout_now(m);
      },
      message);
}

// A message from an older term is dropped; requests are answered with our
// term so a deposed leader or a stale candidate learns it and steps down.
void Raft::State::on_stale(const RaftMessage& message) {
  drop();
  if (const auto* v = std::get_if<Vote>(&message)) {
    send(v->candidate, VoteReply{term, config.id, false, v->pre_vote});
  } else if (const auto* a = std::get_if<Append>(&message)) {
    reply_append(a->leader, false, 0, a->seq);
  } else if (const auto* c = std::get_if<SnapshotChunk>(&message)) {
    reply_snapshot(c->leader, 0, false);
  }
}

// ---- outputs
// ------------------------------------------------------------------

bool Raft::State::has_ready() const {
  return hard_state() != hard_state_emitted || snapshot_to_install ||
         unstable_from <= log.last_index() || !outbox.empty() ||
         commit > apply_emitted || !reads_ready.empty();
}

Ready Raft::State::ready() {
  Ready r;
  // Everything below goes out together: a vote recorded by this input and
  // the VoteReply granting it are in the same Ready, so the caller
  // persists the vote before the reply can leave (§3.8 persist-before-send).
  if (hard_state() != hard_state_emitted) {
    r.hard_state = hard_state();
    hard_state_emitted = hard_state();
  }
  if (snapshot_to_install) {
    r.snapshot = std::move(snapshot_to_install);
    snapshot_to_install.reset();
  }
  if (unstable_from <= log.last_index()) {
    r.entries = log.slice(unstable_from, log.last_index(),
                          std::numeric_limits<std::size_t>::max(),
                          std::numeric_limits<std::size_t>::max());
    unstable_from = log.last_index() + 1;
  }
  r.messages = std::move(outbox);
  outbox.clear();
  std::size_t apply_bytes = 0;
  while (apply_emitted < commit &&
         r.committed.size() < config.apply_entries_max) {
    const LogEntry& next = log.at(apply_emitted + 1);
    if (!r.committed.empty() &&
        apply_bytes + next.data.size() > config.apply_bytes_max) {
      break;
    }
    apply_bytes += next.data.size();
    r.committed.push_back(next);
    ++apply_emitted;
  }
  r.reads = std::move(reads_ready);
  reads_ready.clear();
  return r;
}

void Raft::State::advance(const Ready& r) {
  if (r.hard_state) durable_term = std::max(durable_term, r.hard_state->term);
  if (r.snapshot) {
    applied = std::max(applied, r.snapshot->meta.last_index);
  }
  if (!r.entries.empty()) {
    const LogEntry& back = r.entries.back();
    // Only if a later input did not truncate it in the meantime.
    if (log.term_at(back.index) == back.term) {
      stable_index = std::max(stable_index, back.index);
    }
  }
  if (!r.committed.empty()) {
    applied = std::max(applied, r.committed.back().index);
  }
  // The leader counts its own copy only once it is durable.
  if (role == RaftRole::leader) maybe_commit();
}

namespace {

// What a message asks of its receiver or promises about its sender's
// disk. A leader's appends and snapshot chunks promise nothing about its
// own log: it counts its own copy toward commitment only once advance()
// says it is durable, so sending them while the write is under way is
// safe (§10.2.1), and a follower whose fsync is slow still hears its
// leader. Pre-votes change nobody's state (§9.6). Everything else waits
// for the Ready that makes its promise true: a granted vote (the vote), an
// append or snapshot reply (the entries), a vote request (the term and
// the self-vote), and a refusal (the term it carries).
// Whether a message may leave while the Ready before it is being
// persisted. A leader's appends, snapshot chunks and timeout-now promise
// nothing about its own disk: it counts its own copy toward commitment
// only once advance() says it is durable, so sending them while the write
// is under way is safe (§10.2.1), and a leader whose fsync is slow still
// holds its followers. They go only at a term already durable (a leader's
// always is: its vote requests waited for it). Pre-votes change nobody's
// state (§9.6), at any term. Everything else waits for the Ready that
// makes its promise true: a granted vote (the vote), an append or snapshot
// reply (the entries), a vote request (the term and the self-vote).
bool sendable_before_persist(const RaftMessage& message,
                             std::uint64_t durable_term) {
  return std::visit(
      [durable_term](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, Append> ||
                      std::is_same_v<M, SnapshotChunk> ||
                      std::is_same_v<M, TimeoutNow>) {
          return m.term <= durable_term;
        } else if constexpr (std::is_same_v<M, Vote> ||
                             std::is_same_v<M, VoteReply>) {
          return m.pre_vote;
        } else {
          return false;
        }
      },
      message);
}

}  // namespace

std::vector<Envelope> Raft::State::take_early_messages() {
  std::vector<Envelope> early;
  std::vector<Envelope> kept;
  for (Envelope& envelope : outbox) {
    if (sendable_before_persist(envelope.message, durable_term)) {
      early.push_back(std::move(envelope));
    } else {
      kept.push_back(std::move(envelope));
    }
  }
  outbox = std::move(kept);
  return early;
}

// ---- invariants
// -----------------------------------------------------------------

void Raft::State::check_invariants() {
  assert(commit <= log.last_index());
  assert(commit >= log.snapshot_index());
  assert(commit >= checked_commit);
  assert(applied <= apply_emitted && apply_emitted <= commit);
  assert(stable_index <= log.last_index());
  assert(term >= checked_term);
  assert(log.consistent());
  // A leader appends a no-op in its term at once, so its log always holds
  // an entry of its own term (§3.6.2).
  assert(role != RaftRole::leader || log.last_term() == term);
  // One vote per term (§3.4), unless the test fault breaks that on purpose.
  assert(fault == Fault::double_vote || term != checked_term ||
         checked_vote.empty() || checked_vote == voted_for);
  checked_term = term;
  checked_vote = voted_for;
  checked_commit = commit;
}

}  // namespace slurp::consensus
