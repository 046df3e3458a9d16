#include "src/consensus/raft_log.h"

#include <cassert>
#include <utility>

namespace slurp::consensus {

RaftLog::RaftLog(std::uint64_t snapshot_index, std::uint64_t snapshot_term,
                 std::vector<LogEntry> entries)
    : snapshot_index_(snapshot_index), snapshot_term_(snapshot_term) {
  for (LogEntry& e : entries) append(std::move(e));
}

std::uint64_t RaftLog::last_term() const {
  return entries_.empty() ? snapshot_term_ : entries_.back().term;
}

std::optional<std::uint64_t> RaftLog::term_at(std::uint64_t index) const {
  if (index == snapshot_index_) return snapshot_term_;
  if (index < snapshot_index_ || index > last_index()) return std::nullopt;
  return at(index).term;
}

const LogEntry& RaftLog::at(std::uint64_t index) const {
  assert(index > snapshot_index_ && index <= last_index());
  return entries_[static_cast<std::size_t>(index - first_index())];
}

void RaftLog::append(LogEntry entry) {
  assert(entry.index == last_index() + 1);
  assert(entry.term >= last_term());
  entries_.push_back(std::move(entry));
}

void RaftLog::truncate_from(std::uint64_t index) {
  assert(index > snapshot_index_);
  if (index > last_index()) return;
  entries_.resize(static_cast<std::size_t>(index - first_index()));
}

std::vector<LogEntry> RaftLog::slice(std::uint64_t lo, std::uint64_t hi,
                                     std::size_t entries_max,
                                     std::size_t bytes_max) const {
  std::vector<LogEntry> out;
  if (lo < first_index() || hi > last_index()) {
    assert(lo > hi || (lo >= first_index() && hi <= last_index()));
    return out;
  }
  std::size_t bytes = 0;
  for (std::uint64_t i = lo; i <= hi && out.size() < entries_max; ++i) {
    const LogEntry& e = at(i);
    if (!out.empty() && bytes + e.data.size() > bytes_max) break;
    bytes += e.data.size();
    out.push_back(e);
  }
  return out;
}

std::uint64_t RaftLog::find_conflict_by_term(std::uint64_t index,
                                             std::uint64_t term) const {
  if (index > last_index()) index = last_index();
  if (index <= snapshot_index_) return index;
  // Terms never decrease along the log, so binary search the last entry
  // in [first_index(), index] with term <= `term`.
  std::uint64_t lo = first_index(), hi = index, found = snapshot_index_;
  while (lo <= hi) {
    std::uint64_t mid = lo + (hi - lo) / 2;
    if (at(mid).term <= term) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

void RaftLog::compact(std::uint64_t index) {
  assert(index <= last_index());
  if (index <= snapshot_index_) return;
  std::uint64_t term = at(index).term;
  entries_.erase(
      entries_.begin(),
      entries_.begin() + static_cast<std::ptrdiff_t>(index - snapshot_index_));
  snapshot_index_ = index;
  snapshot_term_ = term;
}

bool RaftLog::consistent() const {
  // append() asserts each index on the way in; this catches the ends.
  return entries_.empty() || (entries_.front().index == first_index() &&
                              entries_.back().index == last_index());
}

void RaftLog::restore(std::uint64_t index, std::uint64_t term) {
  entries_.clear();
  snapshot_index_ = index;
  snapshot_term_ = term;
}

}  // namespace slurp::consensus
