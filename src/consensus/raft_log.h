// The in-memory Raft log: entries after a snapshot offset, with term lookup.
// Index 0 is the empty prefix (term 0). Entries at or below
// snapshot_index() have been compacted away; only their last term is known.
// The log never checks input from outside: callers validate messages first,
// and a breach here is a programmer error (assert).
// One owner thread (the Raft core).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "protocol/messages.h"

namespace slurp::consensus {

class RaftLog {
 public:
  RaftLog() = default;
  // `entries` must follow snapshot_index contiguously (asserted).
  RaftLog(std::uint64_t snapshot_index, std::uint64_t snapshot_term,
          std::vector<LogEntry> entries);

  std::uint64_t snapshot_index() const { return snapshot_index_; }
  std::uint64_t snapshot_term() const { return snapshot_term_; }
  std::uint64_t first_index() const { return snapshot_index_ + 1; }
  std::uint64_t last_index() const { return snapshot_index_ + entries_.size(); }
  std::uint64_t last_term() const;

  // The term at `index`, known from snapshot_index() to last_index().
  std::optional<std::uint64_t> term_at(std::uint64_t index) const;
  const LogEntry& at(std::uint64_t index) const;

  // Appends at last_index() + 1; terms never decrease along the log.
  void append(LogEntry entry);
  // Drops every entry at or after `index` (> snapshot_index()).
  void truncate_from(std::uint64_t index);
  // Entries [lo, hi], at most entries_max of them and, after the first,
  // at most bytes_max data bytes in total: one oversized entry still goes.
  std::vector<LogEntry> slice(std::uint64_t lo, std::uint64_t hi,
                              std::size_t entries_max,
                              std::size_t bytes_max) const;
  // The largest index <= `index` whose term is <= `term`; snapshot_index()
  // when the answer lies in the compacted prefix. Used to skip a whole
  // conflicting term per round trip instead of one entry (§3.5).
  std::uint64_t find_conflict_by_term(std::uint64_t index,
                                      std::uint64_t term) const;
  // Drops entries up to and including `index` (<= last_index()).
  void compact(std::uint64_t index);
  // Cheap structural check for the invariant pass: indices are contiguous.
  bool consistent() const;
  // Replaces the whole log by a snapshot's position: empty after it.
  void restore(std::uint64_t index, std::uint64_t term);

 private:
  std::uint64_t snapshot_index_ = 0;
  std::uint64_t snapshot_term_ = 0;
  std::deque<LogEntry> entries_;  // entries_[i].index == first_index() + i
};

}  // namespace slurp::consensus
