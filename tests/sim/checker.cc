#include "tests/sim/checker.h"

#include <algorithm>
#include <cassert>

namespace slurp::sim {
namespace {

std::string str(std::uint64_t value) {
  return std::to_string(value);
}

std::string describe(const consensus::HardState& hs) {
  return "{term " + str(hs.term) + ", vote '" + hs.voted_for + "', commit " +
         str(hs.commit) + "}";
}

EntryId loaded_id(const LogEntry& entry) {
  return {entry.term, entry_digest(entry.kind, entry.data)};
}

}  // namespace

Checker::Checker(std::size_t node_count) : nodes_(node_count) {}

void Checker::fail(const std::string& what) {
  if (!violation_) violation_ = Violation{now_, what};
}

void Checker::fail(const SimNode& node, const std::string& what) {
  fail(node.name() + ": " + what);
}

std::uint64_t Checker::committed_term(std::uint64_t index) const {
  assert(index >= 1 && index <= canonical_.size());
  return canonical_[static_cast<std::size_t>(index - 1)].id.term;
}

void Checker::on_write(const SimNode& node, const consensus::Ready& ready) {
  if (ready.hard_state) check_hard_state_write(node, *ready.hard_state);
  if (ready.snapshot) {
    if (node.raft().role() == consensus::RaftRole::leader) {
      fail(node, "leader append-only: a leader installs a snapshot");
    }
    if (ready.snapshot->meta.last_index < node.log().snapshot_index()) {
      fail(node, "snapshot at " + str(ready.snapshot->meta.last_index) +
                     " is older than the stored one at " +
                     str(node.log().snapshot_index()));
    }
  }
  check_entries_write(node, ready);
}

void Checker::check_hard_state_write(const SimNode& node,
                                     const consensus::HardState& hs) {
  NodeRecord& record = nodes_[node.index()];
  const consensus::HardState& prev = record.written;
  if (hs.term < prev.term ||
      (hs.term == prev.term && !prev.voted_for.empty() &&
       hs.voted_for != prev.voted_for) ||
      hs.commit < prev.commit) {
    fail(node, "hard state regresses: wrote " + describe(hs) + " after " +
                   describe(prev));
  }
  record.written = hs;
}

void Checker::check_entries_write(const SimNode& node,
                                  const consensus::Ready& ready) {
  const std::vector<LogEntry>& entries = ready.entries;
  if (entries.empty()) return;
  const ShadowLog& log = node.log();
  const std::uint64_t first = entries.front().index;
  std::uint64_t snapshot_index = log.snapshot_index();
  std::uint64_t last = log.last_index();
  std::optional<std::uint64_t> prev_term = log.term_at(first - 1);
  if (ready.snapshot && ready.snapshot->meta.last_index > snapshot_index) {
    // The snapshot goes first and replaces the whole log (raft.h); judge
    // the entries against what it leaves.
    const consensus::SnapshotMeta& meta = ready.snapshot->meta;
    snapshot_index = last = meta.last_index;
    prev_term = first - 1 == meta.last_index
                    ? std::optional<std::uint64_t>(meta.last_term)
                    : std::nullopt;
  }
  if (first <= snapshot_index || first > last + 1 || !prev_term) {
    fail(node, "writes entries from " + str(first) + " onto a log holding (" +
                   str(snapshot_index) + ", " + str(last) + "]");
    return;
  }
  if (node.raft().role() == consensus::RaftRole::leader && first <= last) {
    fail(node, "leader append-only: the leader of term " +
                   str(node.raft().term()) + " overwrites its log from " +
                   str(first) + " (last " + str(last) + ")");
  }
  std::uint64_t term = *prev_term;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    if (entries[k].index != first + k || entries[k].term < term ||
        entries[k].term > node.raft().term()) {
      fail(node,
           "writes a malformed run of entries at " + str(entries[k].index));
      return;
    }
    term = entries[k].term;
  }
  register_entries(node, entries, *prev_term);
}

void Checker::register_entries(const SimNode& node,
                               const std::vector<LogEntry>& entries,
                               std::uint64_t prev_term) {
  for (const LogEntry& entry : entries) {
    const Registered mine{entry_digest(entry.kind, entry.data), prev_term};
    auto [it, inserted] =
        registry_.try_emplace({entry.index, entry.term}, mine);
    if (!inserted && (it->second.digest != mine.digest ||
                      it->second.prev_term != mine.prev_term)) {
      fail(node, "log matching: entry (index " + str(entry.index) + ", term " +
                     str(entry.term) +
                     ") differs from an entry with the same index and term "
                     "written before (content or previous term " +
                     str(prev_term) + " vs " + str(it->second.prev_term) + ")");
      return;
    }
    prev_term = entry.term;
  }
}

void Checker::on_loaded(const SimNode& node,
                        const consensus::InitialState& initial) {
  check_loaded_hard_state(node, initial.hard_state);
  check_loaded_log(node, initial);
  NodeRecord& record = nodes_[node.index()];
  record.durable_commit = node.synced_hard_state().commit;
  record.written = initial.hard_state;
}

void Checker::check_loaded_hard_state(const SimNode& node,
                                      const consensus::HardState& loaded) {
  const consensus::HardState& synced = node.synced_hard_state();
  if (loaded.term < synced.term ||
      (loaded.term == synced.term && !synced.voted_for.empty() &&
       loaded.voted_for != synced.voted_for) ||
      loaded.commit < synced.commit) {
    fail(node, "restart: loaded hard state " + describe(loaded) +
                   " regresses from the synced " + describe(synced));
  }
}

void Checker::check_loaded_log(const SimNode& node,
                               const consensus::InitialState& initial) {
  const std::uint64_t loaded_snapshot =
      initial.snapshot ? initial.snapshot->meta.last_index : 0;
  for (const LogEntry& entry : initial.entries) {
    auto it = registry_.find({entry.index, entry.term});
    if (it == registry_.end() ||
        it->second.digest != entry_digest(entry.kind, entry.data)) {
      fail(node, "restart: storage returned entry (index " + str(entry.index) +
                     ", term " + str(entry.term) + ") that was never written");
      return;
    }
  }
  // Entries synced and not replaced by a later (unsynced) write must
  // survive; the mirror still holds them as they were before the crash.
  const ShadowLog& before = node.log();
  const std::uint64_t upto =
      std::min(node.synced_last_index(), node.unsynced_from() - 1);
  for (std::uint64_t i = std::max(loaded_snapshot, before.snapshot_index()) + 1;
       i <= upto; ++i) {
    std::optional<EntryId> expected = before.at(i);
    if (!expected) continue;
    const std::uint64_t offset = i - loaded_snapshot - 1;
    if (offset >= initial.entries.size() ||
        !(loaded_id(initial.entries[static_cast<std::size_t>(offset)]) ==
          *expected)) {
      fail(node, "restart: synced entry " + str(i) + " (term " +
                     str(expected->term) + ") was lost or changed");
      return;
    }
  }
}

void Checker::on_apply(const SimNode& node, const LogEntry& entry) {
  ++counters_.entries_applied;
  if (entry.index > node.raft().commit_index()) {
    fail(node, "applies entry " + str(entry.index) +
                   " above its commit index " +
                   str(node.raft().commit_index()));
  }
  const EntryId id{entry.term, entry_digest(entry.kind, entry.data)};
  const std::uint64_t term_now = node.raft().term();
  if (entry.index <= canonical_.size()) {
    Canonical& known = canonical_[static_cast<std::size_t>(entry.index - 1)];
    known.commit_term_bound = std::min(known.commit_term_bound, term_now);
    if (known.id != id) {
      fail(node,
           "state machine safety: applies (index " + str(entry.index) +
               ", term " + str(entry.term) + ") where " +
               node_name(known.first_applier) + " applied term " +
               str(known.id.term) +
               (known.id.term == entry.term ? " with other content" : ""));
    }
    return;
  }
  if (entry.index != canonical_.size() + 1) {
    fail(node, "applies entry " + str(entry.index) +
                   " past everything applied so far");
    return;
  }
  const std::uint64_t prev =
      canonical_.empty() ? 0 : canonical_.back().state_hash;
  canonical_.push_back(
      {id, next_state_hash(prev, entry.index, entry.term, id.digest),
       node.index(), term_now});
}

void Checker::on_restore(const SimNode& node) {
  const std::uint64_t index = node.state().applied_index();
  if (index == 0) return;
  if (index > canonical_.size()) {
    fail(node, "restores a snapshot at " + str(index) +
                   " past everything applied so far (" +
                   str(canonical_.size()) + ")");
    return;
  }
  if (canonical_[static_cast<std::size_t>(index - 1)].state_hash !=
      node.state().hash()) {
    fail(node, "state machine safety: the snapshot at " + str(index) +
                   " differs from the applied history");
  }
}

void Checker::on_anomaly(const SimNode& node, const std::string& what) {
  fail(node, what);
}

void Checker::on_settled(const SimNode& node) {
  if (!node.up()) return;
  NodeRecord& record = nodes_[node.index()];
  if (record.life != node.life()) start_life(node, record);
  const consensus::Raft& raft = node.raft();
  const std::uint64_t term = raft.term();
  const std::uint64_t commit = raft.commit_index();
  if (term < record.term) {
    fail(node, "term regresses from " + str(record.term) + " to " + str(term));
  }
  if (commit < record.commit) {
    fail(node, "commit index regresses from " + str(record.commit) + " to " +
                   str(commit));
  }
  if (commit > raft.last_index()) {
    fail(node, "commit index " + str(commit) + " beyond the last index " +
                   str(raft.last_index()));
  }
  record.term = term;
  record.commit = commit;
  const bool leader = raft.role() == consensus::RaftRole::leader;
  if (leader && record.leader_term != term) check_new_leader(node, term);
  record.leader_term = leader ? term : 0;
}

void Checker::start_life(const SimNode& node, NodeRecord& record) {
  record.life = node.life();
  record.leader_term = 0;
  record.term = record.written.term;  // as loaded
  record.commit = record.durable_commit;
  if (node.raft().commit_index() < record.durable_commit) {
    fail(node, "restart: commit index " + str(node.raft().commit_index()) +
                   " below the commit " + str(record.durable_commit) +
                   " synced before the crash");
  }
}

void Checker::check_new_leader(const SimNode& node, std::uint64_t term) {
  ++counters_.leaders_elected;
  counters_.highest_term = std::max(counters_.highest_term, term);
  auto [it, inserted] = leaders_.try_emplace(term, node.index());
  if (!inserted && it->second != node.index()) {
    fail(node, "election safety: two leaders in term " + str(term) + ": " +
                   node_name(it->second) + " and " + node.name());
    return;
  }
  const ShadowLog& log = node.log();
  const std::uint64_t snapshot = log.snapshot_index();
  if (snapshot > 0 && snapshot <= canonical_.size() &&
      committed_term(snapshot) != log.snapshot_term()) {
    fail(node, "leader completeness: the snapshot of the leader of term " +
                   str(term) + " ends with a term other than committed");
    return;
  }
  for (std::uint64_t i = snapshot + 1; i <= canonical_.size(); ++i) {
    const Canonical& committed = canonical_[static_cast<std::size_t>(i - 1)];
    if (committed.commit_term_bound > term) continue;  // see checker.h
    std::optional<EntryId> held = log.at(i);
    if (!held || *held != committed.id) {
      fail(node, "leader completeness: the leader of term " + str(term) +
                     " lacks committed entry " + str(i) + " (term " +
                     str(committed_term(i)) + ")");
      return;
    }
  }
  for (const Acknowledged& ack : acknowledged_) {
    // At or below the snapshot: its state was checked on restore.
    if (ack.index <= snapshot ||
        canonical_[static_cast<std::size_t>(ack.index - 1)].commit_term_bound >
            term) {
      continue;
    }
    std::optional<EntryId> held = log.at(ack.index);
    if (!held || *held != ack.id) {
      fail(node, "acknowledged write (index " + str(ack.index) + ", term " +
                     str(ack.id.term) +
                     ") is missing from the log of the "
                     "leader of term " +
                     str(term));
      return;
    }
  }
}

void Checker::on_acknowledged(std::uint64_t index, std::uint64_t term,
                              std::uint64_t digest) {
  ++counters_.acknowledged;
  const EntryId id{term, digest};
  if (index == 0 || index > canonical_.size() ||
      canonical_[static_cast<std::size_t>(index - 1)].id != id) {
    fail("acknowledged write (index " + str(index) + ", term " + str(term) +
         ") is not the committed entry at its index");
  }
  acknowledged_.push_back({index, id});
}

void Checker::on_read_served(const SimNode& node, std::uint64_t index,
                             std::uint64_t floor) {
  if (index < floor) {
    fail(node, "linearizable read: served at index " + str(index) +
                   " though index " + str(floor) +
                   " was acknowledged before the read began (stale read)");
  }
}

void Checker::check_acknowledged_everywhere(
    const std::vector<const SimNode*>& nodes) {
  for (const SimNode* node : nodes) {
    if (!node->up()) continue;
    const LogStateMachine& state = node->state();
    for (const Acknowledged& ack : acknowledged_) {
      if (ack.index > state.applied_index()) continue;
      const LogEntry& entry = state.at(ack.index);
      if (entry.term != ack.id.term ||
          entry_digest(entry.kind, entry.data) != ack.id.digest) {
        fail(*node, "acknowledged write (index " + str(ack.index) +
                        ") differs in the state machine");
        return;
      }
    }
  }
}

}  // namespace slurp::sim
