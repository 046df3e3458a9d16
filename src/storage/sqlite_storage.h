// SqliteStorage: the default RaftStorage, one SQLite database per node.
//
// Why SQLite in WAL mode rather than a custom log file:
// - crash safety is SQLite's, not ours to prove: every WAL frame carries a
//   cumulative checksum and a salt, and recovery replays frames only up to
//   the last commit whose frames all verify, so a torn append is discarded
//   whole (tests/storage: sqlite_storage_test.cc cuts the WAL at every frame
//   boundary, sqlite_crash_test.cc SIGKILLs a writer);
// - operators can inspect a node's state with the sqlite3 shell;
// - group commit is free: writes go into one transaction that sync()
//   commits, so one WAL fsync covers every write since the last sync.
// Measured (the "[.bench]" test, 200-byte entries, one write + sync per
// batch; 7 runs on the 2-core CI VM, whose shared disk is noisy): 1-entry
// batches 190-1280 syncs/s while a bare append + fdatasync, the floor for a
// custom log, did 270-1050/s in the same runs; 64-entry batches 11k-42k
// entries/s; 512-entry batches 67k-113k entries/s. The fsync is the cost,
// not SQLite, and group commit is what amortizes it.
//
// synchronous=FULL: in WAL mode NORMAL skips the fsync at commit and only
// syncs at checkpoints, so an acknowledged entry could vanish on power
// loss; FULL makes COMMIT the fsync the Raft contract requires.
//
// Layout of the data directory:
//   raft.db (+ -wal, -shm)   the database below
//   snapshot-<index>.bin     the snapshot snapshot_meta names; written as
//                            snapshot-<index>.tmp, fsynced, renamed, then
//                            the directory is fsynced
//   LOCK                     flock()ed while a process has the store open
// Schema (PRAGMA user_version = 1):
//   hard_state(id = 0, term, voted_for, commit_index)   at most one row
//   log(idx INTEGER PRIMARY KEY, term, kind, data BLOB, crc)
//       crc as defined in log_record.h
//   snapshot_meta(id = 0, last_index, last_term, file, size, crc)
//       size and crc32c of the snapshot file's bytes
// Unsigned 64-bit values are stored as SQLite's signed INTEGER, bit for bit.
//
// After a failed COMMIT (a failed fsync leaves the file's state unknown) the
// store refuses every further call; the node must restart and load().
//
// Threads: one owner thread; the connection is opened without SQLite's
// mutexes. One process per directory (the LOCK file enforces it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/storage/raft_storage.h"

namespace slurp::storage {

class SqliteStorage final : public RaftStorage {
 public:
  struct Counters {
    std::uint64_t syncs = 0;  // commits, i.e. WAL fsyncs
    // Entry data plus 24 header bytes per entry, plus snapshot data.
    std::uint64_t bytes_written = 0;
  };

  // Opens or creates dir/raft.db (creating dir if needed). Errors:
  // unavailable when another process holds the directory, internal for
  // I/O and SQLite failures and for a schema this build does not know.
  static Result<std::unique_ptr<SqliteStorage>> open(const std::string& dir);

  // Rolls back anything written but not synced, as a crash would.
  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  // Must not be called with unsynced writes pending (call it right after
  // open()). Deletes a torn tail durably and removes stray snapshot files.
  Result<consensus::InitialState> load(LoadStats* stats = nullptr) override;
  Status write(const std::optional<consensus::HardState>& hard_state,
               const std::vector<LogEntry>& entries,
               const std::optional<consensus::Snapshot>& snapshot) override;
  Status sync() override;
  // `index` must equal snapshot.meta.last_index.
  Status compact(std::uint64_t index,
                 const consensus::Snapshot& snapshot) override;

  // compact() in two steps, for a snapshot written away from the owner
  // thread (the node forks a child for it). write_snapshot_file writes
  // dir's file for snapshot.meta durably and touches no database, so any
  // thread or process may call it. compact_written then records that file
  // (its size and crc32c) on the owner thread; the log rows it covers are
  // left to trim_compacted(), because deleting hundreds of MB of entries
  // in one call stalled the node thread.
  static Status write_snapshot_file(const std::string& dir,
                                    const consensus::Snapshot& snapshot);
  static std::string snapshot_file_path(const std::string& dir,
                                        std::uint64_t index);
  Status compact_written(const consensus::SnapshotMeta& meta,
                         std::uint64_t size, std::uint32_t crc);
  // Deletes at most `rows_max` of the log rows the latest snapshot covers
  // and compact_written (or a restart) left; true while some remain. Like
  // write(), it takes effect at the next sync().
  Result<bool> trim_compacted(std::uint64_t rows_max);

  const Counters& counters() const;
  const std::string& dir() const;

 private:
  struct State;
  explicit SqliteStorage(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace slurp::storage
