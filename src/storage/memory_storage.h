// MemoryStorage: a RaftStorage held in memory that can crash on demand, for
// unit tests and the deterministic simulator (tests/sim). It follows the
// contract of raft_storage.h exactly, and makes the worst crash the
// contract allows happen (after LevelDB's fault_injection_test).
//
// Two images: `durable` (what survived the last sync) and `current`
// (durable plus every pending, unsynced operation). sync() folds the
// pending operations into durable. crash() keeps a random prefix of the
// pending operations (possibly none: everything not fsynced is lost), and
// with `tear` may also keep a torn copy of the next one: its entries cut at
// a random point, the last kept entry's checksum wrong, its hard state and
// snapshot lost. load() then judges the records by the same rules as
// SqliteStorage (log_record.h): torn tail dropped and counted, damage in the
// middle reported.
//
// Deterministic: ordered containers only, and every random choice comes
// from the RandomSource the caller passes, so one seed replays a run.
//
// Threads: one owner thread (the simulator runs every node on one thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "src/storage/log_record.h"
#include "src/storage/raft_storage.h"

namespace slurp::storage {

class MemoryStorage final : public RaftStorage {
 public:
  // Returns a uniformly distributed 64-bit value on each call.
  using RandomSource = std::function<std::uint64_t()>;

  struct Counters {
    std::uint64_t syncs = 0;  // sync() calls that had something to flush
    // Entry data plus 24 header bytes per entry, plus snapshot data.
    std::uint64_t bytes_written = 0;
  };

  // Unsynced writes must not be pending: call it first, or after restart()
  // or crash().
  Result<consensus::InitialState> load(LoadStats* stats = nullptr) override;
  Status write(const std::optional<consensus::HardState>& hard_state,
               const std::vector<LogEntry>& entries,
               const std::optional<consensus::Snapshot>& snapshot) override;
  Status sync() override;
  Status compact(std::uint64_t index,
                 const consensus::Snapshot& snapshot) override;

  // A power loss: see the class comment.
  void crash(const RandomSource& random, bool tear);
  // A clean stop and start: everything not synced is lost, nothing torn.
  void restart();
  // Media damage: flips the stored checksum of durable record `index`.
  // not_found when no such record is durable.
  Status corrupt_record_for_testing(std::uint64_t index);

  const Counters& counters() const { return counters_; }
  std::size_t pending_operations() const { return pending_.size(); }

 private:
  struct Image {
    consensus::HardState hard_state;
    std::optional<consensus::Snapshot> snapshot;
    std::map<std::uint64_t, StoredRecord> log;
  };
  struct Operation {
    std::optional<consensus::HardState> hard_state;
    std::vector<LogEntry> entries;
    std::optional<consensus::Snapshot> snapshot;
    bool compaction = false;  // from compact(): the log must agree with it
  };

  static LogBounds bounds(const Image& image);
  static void apply(Image& image, const Operation& op);
  static void apply_torn(Image& image, const Operation& op,
                         const RandomSource& random);
  static void append(Image& image, const std::vector<LogEntry>& entries,
                     std::size_t count);
  Status check_snapshot(const consensus::Snapshot& snapshot) const;

  Image durable_;
  Image current_;  // durable_ with pending_ applied
  std::vector<Operation> pending_;
  Counters counters_;
};

}  // namespace slurp::storage
