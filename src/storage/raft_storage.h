// The durable home of one node's Raft state: hard state, log, snapshot.
//
// Contract (the node shell and the simulator rely on it):
// - write() buffers; nothing is durable until sync() returns ok. One sync()
//   covers every write() since the last (group commit).
// - A crash loses any part of what was written but not synced, and may
//   leave the last unsynced write torn. It never loses or changes anything
//   that sync() reported durable.
// - load() returns the synced state. A torn tail (the last record cut short
//   or failing its checksum) is truncated and counted: it was never
//   acknowledged. A record that fails its checksum with good records after
//   it is corruption: load() fails with ErrorCode::internal naming the
//   index, and nothing is applied.
// - Snapshots are written atomically: temp file, fsync, rename, fsync of
//   the directory (or the equivalent in a fake).
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "protocol/result.h"
#include "src/consensus/raft.h"

namespace slurp::storage {

struct LoadStats {
  std::uint64_t torn_records_dropped = 0;
};

class RaftStorage {
 public:
  virtual ~RaftStorage() = default;

  virtual Result<consensus::InitialState> load(LoadStats* stats = nullptr) = 0;

  // Buffers a Ready's durable part. If entries.front().index is at or below
  // the last stored index, the stored log is truncated from there first.
  // A snapshot replaces the log up to its last_index.
  virtual Status write(const std::optional<consensus::HardState>& hard_state,
                       const std::vector<LogEntry>& entries,
                       const std::optional<consensus::Snapshot>& snapshot) = 0;

  // Makes everything written so far durable with one fsync.
  virtual Status sync() = 0;

  // The state machine saved a snapshot covering up to `index`; entries up to
  // it may be dropped. Durable at the next sync().
  virtual Status compact(std::uint64_t index,
                         const consensus::Snapshot& snapshot) = 0;
};

}  // namespace slurp::storage
