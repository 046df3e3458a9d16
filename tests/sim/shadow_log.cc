#include "tests/sim/shadow_log.h"

#include <cassert>

#include "tests/sim/log_state_machine.h"

namespace slurp::sim {

void ShadowLog::reset(const consensus::InitialState& initial) {
  snapshot_ =
      initial.snapshot ? initial.snapshot->meta : consensus::SnapshotMeta{};
  entries_.clear();
  append(initial.entries);
}

void ShadowLog::write(const std::vector<LogEntry>& entries,
                      const std::optional<consensus::SnapshotMeta>& snapshot) {
  if (snapshot && snapshot->last_index > snapshot_.last_index) {
    entries_.clear();  // the core drops everything, see the header
    snapshot_ = *snapshot;
  }
  append(entries);
}

void ShadowLog::compact(const consensus::SnapshotMeta& meta) {
  if (meta.last_index <= snapshot_.last_index) return;
  drop_through(meta);
}

void ShadowLog::drop_through(const consensus::SnapshotMeta& meta) {
  if (meta.last_index <= last_index()) {
    std::size_t drop =
        static_cast<std::size_t>(meta.last_index - snapshot_.last_index);
    entries_.erase(entries_.begin(),
                   entries_.begin() + static_cast<std::ptrdiff_t>(drop));
  } else {
    entries_.clear();
  }
  snapshot_ = meta;
}

void ShadowLog::append(const std::vector<LogEntry>& entries) {
  if (entries.empty()) return;
  std::uint64_t first = entries.front().index;
  assert(first > snapshot_.last_index && first <= last_index() + 1);
  entries_.resize(static_cast<std::size_t>(first - snapshot_.last_index - 1));
  for (const LogEntry& entry : entries) {
    entries_.push_back({entry.term, entry_digest(entry.kind, entry.data)});
  }
}

std::optional<std::uint64_t> ShadowLog::term_at(std::uint64_t index) const {
  if (index == snapshot_.last_index) return snapshot_.last_term;
  if (auto entry = at(index)) return entry->term;
  return std::nullopt;
}

std::optional<EntryId> ShadowLog::at(std::uint64_t index) const {
  if (index <= snapshot_.last_index || index > last_index()) {
    return std::nullopt;
  }
  return entries_[static_cast<std::size_t>(index - snapshot_.last_index - 1)];
}

}  // namespace slurp::sim
