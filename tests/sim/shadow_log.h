// The simulator's mirror of one node's log, built from what the node wrote
// (Ready entries and snapshots, compactions) and reset from storage.load()
// on restart. The Raft core does not expose its log; the checker reads
// this mirror to judge log matching, leader append-only and leader
// completeness.
//
// It follows the core's view, raft.h: a snapshot from a Ready replaces the
// whole log, entries after it included. The storages (memory_storage.cc,
// sqlite_storage.cc) keep the entries after a snapshot whose last entry
// matches (Raft §5), so until the next restart the durable log may hold a
// suffix the core has dropped; the mirror then holds less than storage,
// which only makes the durability check compare fewer entries.
//
// Entries are kept as (term, digest) only: enough to compare logs.
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "src/consensus/raft.h"

namespace slurp::sim {

struct EntryId {
  std::uint64_t term = 0;
  std::uint64_t digest = 0;  // entry_digest(kind, data)
  bool operator==(const EntryId&) const = default;
};

class ShadowLog {
 public:
  void reset(const consensus::InitialState& initial);

  // Mirrors a Ready's write; the caller has checked the shape (a snapshot
  // not older than ours, entries starting within [snapshot_index + 1,
  // last_index + 1] of the log the snapshot leaves).
  void write(const std::vector<LogEntry>& entries,
             const std::optional<consensus::SnapshotMeta>& snapshot);
  // Mirrors RaftStorage::compact: drops entries up to `meta.last_index`.
  void compact(const consensus::SnapshotMeta& meta);

  std::uint64_t snapshot_index() const { return snapshot_.last_index; }
  std::uint64_t snapshot_term() const { return snapshot_.last_term; }
  std::uint64_t last_index() const {
    return snapshot_.last_index + entries_.size();
  }
  // The term at `index` when known: the snapshot's last entry, a held
  // entry, or 0 for index 0.
  std::optional<std::uint64_t> term_at(std::uint64_t index) const;
  // The held entry at `index` (not covered by the snapshot).
  std::optional<EntryId> at(std::uint64_t index) const;

 private:
  void drop_through(const consensus::SnapshotMeta& meta);
  void append(const std::vector<LogEntry>& entries);

  consensus::SnapshotMeta snapshot_;
  std::vector<EntryId> entries_;  // entries_[k] holds snapshot index + 1 + k
};

}  // namespace slurp::sim
