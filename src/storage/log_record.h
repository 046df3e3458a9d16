// A Raft log entry as both stores keep it, and the recovery rules they
// share, so SqliteStorage and MemoryStorage judge damage identically.
//
// Record checksum: crc32c over idx | term | kind | data, where idx, term
// and kind are 8-byte little-endian and data is the raw bytes. It lets
// load() tell a record that was torn or damaged from one that was written.
//
// Pure; any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/messages.h"
#include "protocol/result.h"
#include "src/consensus/raft.h"

namespace slurp::storage {

std::uint32_t log_record_crc(const LogEntry& entry);

struct StoredRecord {
  LogEntry entry;
  std::uint32_t crc = 0;  // as stored, not recomputed
};

// The log's shape as a write sees it: a snapshot covering
// [1, snapshot_index] then entries up to last_index (>= snapshot_index).
struct LogBounds {
  std::uint64_t snapshot_index = 0;
  std::uint64_t last_index = 0;
};

// Ok when `entries` are consecutive and start somewhere in
// [snapshot_index + 1, last_index + 1] (at or below last_index means the
// stored log is truncated from there first). Otherwise internal: the Raft
// core asked for a gap or to rewrite what a snapshot covers, a bug.
// compact(index, snapshot) is only meaningful with the snapshot that
// covers exactly `index`.
Status check_compact_args(std::uint64_t index,
                          const consensus::Snapshot& snapshot);

Status check_new_entries(const std::vector<LogEntry>& entries,
                         const LogBounds& bounds);

struct CheckedLog {
  std::vector<LogEntry> entries;
  bool torn_tail = false;  // the last record failed its checksum, dropped
};

// Applies the load() rules of raft_storage.h to records in index order:
// - the last record failing its checksum is a torn tail, dropped, unless it
//   is at or below `commit` (a committed entry was durable: corruption);
// - any other record failing it is corruption: internal, "log record <idx>
//   failed its checksum";
// - the remaining entries must run from snapshot_index + 1 without gaps,
//   with terms never decreasing and not below snapshot_term.
Result<CheckedLog> check_stored_log(std::vector<StoredRecord> records,
                                    std::uint64_t snapshot_index,
                                    std::uint64_t snapshot_term,
                                    std::uint64_t commit);

}  // namespace slurp::storage
