#include "src/storage/memory_storage.h"

#include <string>
#include <utility>

namespace slurp::storage {
namespace {

constexpr std::uint64_t kEntryHeaderBytes = 24;  // idx, term, kind

std::uint64_t entry_bytes(const std::vector<LogEntry>& entries) {
  std::uint64_t bytes = 0;
  for (const LogEntry& entry : entries) {
    bytes += kEntryHeaderBytes + entry.data.size();
  }
  return bytes;
}

std::uint64_t snapshot_index(const std::optional<consensus::Snapshot>& s) {
  return s ? s->meta.last_index : 0;
}

}  // namespace

Result<consensus::InitialState> MemoryStorage::load(LoadStats* stats) {
  if (!pending_.empty()) {
    return make_error(ErrorCode::internal,
                      "load() with unsynced writes pending; call it after "
                      "restart() or crash()");
  }
  std::vector<StoredRecord> records;
  records.reserve(durable_.log.size());
  for (const auto& [index, record] : durable_.log) records.push_back(record);
  const auto& snapshot = durable_.snapshot;
  auto checked = check_stored_log(std::move(records), snapshot_index(snapshot),
                                  snapshot ? snapshot->meta.last_term : 0,
                                  durable_.hard_state.commit);
  if (!checked) return checked.error();
  if (checked->torn_tail) {
    // Dropping it is durable at once, as SqliteStorage commits the delete.
    durable_.log.erase(std::prev(durable_.log.end()));
    current_ = durable_;
  }
  if (stats != nullptr) stats->torn_records_dropped = checked->torn_tail;
  consensus::InitialState state;
  state.hard_state = durable_.hard_state;
  state.snapshot = durable_.snapshot;
  state.entries = std::move(checked->entries);
  return state;
}

Status MemoryStorage::write(
    const std::optional<consensus::HardState>& hard_state,
    const std::vector<LogEntry>& entries,
    const std::optional<consensus::Snapshot>& snapshot) {
  if (!hard_state && entries.empty() && !snapshot) return ok_status();
  LogBounds after = bounds(current_);
  if (snapshot) {
    if (auto s = check_snapshot(*snapshot); !s) return s;
    const consensus::SnapshotMeta& meta = snapshot->meta;
    if (meta.last_index > after.snapshot_index) {
      auto it = current_.log.find(meta.last_index);
      const bool matches =
          it != current_.log.end() && it->second.entry.term == meta.last_term;
      after = {meta.last_index, matches ? after.last_index : meta.last_index};
    }
  }
  if (auto s = check_new_entries(entries, after); !s) return s;
  Operation op{hard_state, entries, snapshot, false};
  apply(current_, op);
  counters_.bytes_written +=
      entry_bytes(entries) + (snapshot ? snapshot->data.size() : 0);
  pending_.push_back(std::move(op));
  return ok_status();
}

Status MemoryStorage::sync() {
  if (pending_.empty()) return ok_status();
  for (const Operation& op : pending_) apply(durable_, op);
  pending_.clear();
  ++counters_.syncs;
  return ok_status();
}

Status MemoryStorage::compact(std::uint64_t index,
                              const consensus::Snapshot& snapshot) {
  if (Status s = check_compact_args(index, snapshot); !s) return s;
  if (auto s = check_snapshot(snapshot); !s) return s;
  auto it = current_.log.find(index);
  if (it != current_.log.end() &&
      it->second.entry.term != snapshot.meta.last_term) {
    return make_error(ErrorCode::internal,
                      "compact at " + std::to_string(index) + ": log term " +
                          std::to_string(it->second.entry.term) +
                          ", snapshot term " +
                          std::to_string(snapshot.meta.last_term));
  }
  Operation op{std::nullopt, {}, snapshot, true};
  apply(current_, op);
  counters_.bytes_written += snapshot.data.size();
  pending_.push_back(std::move(op));
  return ok_status();
}

void MemoryStorage::crash(const RandomSource& random, bool tear) {
  const std::size_t keep =
      static_cast<std::size_t>(random() % (pending_.size() + 1));
  for (std::size_t i = 0; i < keep; ++i) apply(durable_, pending_[i]);
  if (tear && keep < pending_.size()) {
    apply_torn(durable_, pending_[keep], random);
  }
  pending_.clear();
  current_ = durable_;
}

void MemoryStorage::restart() {
  pending_.clear();
  current_ = durable_;
}

Status MemoryStorage::corrupt_record_for_testing(std::uint64_t index) {
  auto it = durable_.log.find(index);
  if (it == durable_.log.end()) {
    return make_error(ErrorCode::not_found,
                      "no durable log record " + std::to_string(index));
  }
  it->second.crc ^= 1;
  auto current = current_.log.find(index);
  if (current != current_.log.end()) current->second.crc ^= 1;
  return ok_status();
}

LogBounds MemoryStorage::bounds(const Image& image) {
  const std::uint64_t snap = snapshot_index(image.snapshot);
  return {snap, image.log.empty() ? snap : image.log.rbegin()->first};
}

// Same order as SqliteStorage::write: snapshot, entries, hard state.
void MemoryStorage::apply(Image& image, const Operation& op) {
  if (op.snapshot &&
      op.snapshot->meta.last_index > snapshot_index(image.snapshot)) {
    const consensus::SnapshotMeta& meta = op.snapshot->meta;
    auto it = image.log.find(meta.last_index);
    // Raft §5: keep what follows a matching entry, else the whole log goes.
    const bool keep_rest =
        op.compaction ||
        (it != image.log.end() && it->second.entry.term == meta.last_term);
    if (keep_rest) {
      image.log.erase(image.log.begin(),
                      image.log.upper_bound(meta.last_index));
    } else {
      image.log.clear();
    }
    image.snapshot = op.snapshot;
  }
  append(image, op.entries, op.entries.size());
  if (op.hard_state) image.hard_state = *op.hard_state;
}

void MemoryStorage::apply_torn(Image& image, const Operation& op,
                               const RandomSource& random) {
  // A snapshot is installed atomically (rename), and without it the entries
  // that follow it would leave a gap: such a write is lost whole.
  if (op.entries.empty() || op.snapshot) return;
  const std::size_t count =
      1 + static_cast<std::size_t>(random() % op.entries.size());
  append(image, op.entries, count);
  image.log.rbegin()->second.crc ^= 1;
}

void MemoryStorage::append(Image& image, const std::vector<LogEntry>& entries,
                           std::size_t count) {
  if (count == 0) return;
  image.log.erase(image.log.lower_bound(entries.front().index),
                  image.log.end());
  for (std::size_t i = 0; i < count; ++i) {
    image.log.emplace_hint(
        image.log.end(), entries[i].index,
        StoredRecord{entries[i], log_record_crc(entries[i])});
  }
}

Status MemoryStorage::check_snapshot(
    const consensus::Snapshot& snapshot) const {
  const std::uint64_t stored = snapshot_index(current_.snapshot);
  if (snapshot.meta.last_index < stored) {
    return make_error(
        ErrorCode::internal,
        "snapshot at " + std::to_string(snapshot.meta.last_index) +
            " is older than the stored one at " + std::to_string(stored));
  }
  return ok_status();
}

}  // namespace slurp::storage
