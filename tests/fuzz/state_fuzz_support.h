// Checks shared by the state machine's fuzz targets (fuzz_command,
// fuzz_restore) and the program that writes their seed corpora. A failed
// check aborts: libFuzzer then keeps the input as a crash.
//
// The command log framing (fuzz_command's input, make_state_corpus's
// output): entries back to back, each one byte of kind (taken modulo
// kCommandKinds, so 0 is Raft's no-op, 1..8 the CommandKinds and 9 an
// unknown kind), two bytes of data length (little-endian, cut to what is
// left) and the data. Plain functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>
#include <vector>

#include "src/state/state_machine.h"

namespace slurp::state::fuzz {

// Kinds 0..8 are real; 9 stands for every kind apply does not know.
inline constexpr std::uint8_t kCommandKinds = 10;
// Small bounds, so that a short input reaches queue_full, forgets request
// ids and ended jobs, and dead-letters.
inline StateLimits small_limits() {
  StateLimits limits;
  limits.queue_depth_max = 8;
  limits.request_ids_max = 8;
  limits.ended_jobs_max = 4;
  limits.job_attempts_max = 2;
  limits.aging_interval_ms = 1000;
  return limits;
}

inline void check(bool ok) {
  if (!ok) std::abort();
}

// One entry of the framing above.
struct FramedEntry {
  std::uint64_t kind = 0;
  Bytes data;
};

inline std::vector<FramedEntry> split_entries(const std::uint8_t* data,
                                              std::size_t size,
                                              std::size_t entries_max) {
  std::vector<FramedEntry> entries;
  std::size_t at = 0;
  while (at + 3 <= size && entries.size() < entries_max) {
    FramedEntry entry;
    entry.kind = data[at] % kCommandKinds;
    std::size_t length = data[at + 1] | (std::size_t{data[at + 2]} << 8);
    at += 3;
    if (length > size - at) length = size - at;
    entry.data.assign(data + at, data + at + length);
    at += length;
    entries.push_back(std::move(entry));
  }
  return entries;
}

inline void append_entry(Bytes& out, CommandKind kind, const Bytes& data) {
  check(data.size() <= 0xffff);
  out.push_back(static_cast<std::uint8_t>(kind));
  out.push_back(static_cast<std::uint8_t>(data.size() & 0xff));
  out.push_back(static_cast<std::uint8_t>(data.size() >> 8));
  out.insert(out.end(), data.begin(), data.end());
}

// What the derived indexes answer. A machine whose indexes were kept up to
// date entry by entry must answer as one that rebuilt them from a snapshot.
struct IndexView {
  std::vector<DispatchPick> picks;
  std::vector<LeasedJob> expired;
  std::vector<LeasedJob> active;
  std::optional<std::uint64_t> earliest_deadline;
  std::vector<QueueCounts> counts;
  std::uint64_t queued = 0, waiting = 0, active_tasks = 0, contexts = 0;
  bool operator==(const IndexView&) const = default;
};

inline IndexView index_view(const StateMachine& machine) {
  constexpr std::uint64_t kLate = std::numeric_limits<std::uint64_t>::max();
  constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();
  IndexView view;
  view.picks = machine.next_dispatch(kLate, kAll, {});
  view.expired = machine.expired_leases(kLate, kAll);
  view.active = machine.active_jobs();
  view.earliest_deadline = machine.earliest_deadline();
  view.counts = machine.queue_counts();
  view.queued = machine.queued_tasks();
  view.waiting = machine.waiting_tasks();
  view.active_tasks = machine.active_tasks();
  view.contexts = machine.context_count();
  return view;
}

// operator== compares member by member, so a context whose confidence is
// NaN never equals itself (apply stores one from update_context: only the
// leader's validation keeps it out). The snapshot compares it bit for bit.
inline bool same_state(const StateMachine& a, const StateMachine& b) {
  return a == b || a.snapshot() == b.snapshot();
}

// A snapshot restores to a machine with the same state, the same index
// answers and the same snapshot bytes.
inline void check_snapshot_round_trip(const StateMachine& machine,
                                      const StateLimits& limits) {
  const Bytes bytes = machine.snapshot();
  StateMachine restored(limits);
  check(static_cast<bool>(restored.restore(bytes)));
  check(same_state(machine, restored));
  check(index_view(machine) == index_view(restored));
  check(restored.snapshot() == bytes);
}

}  // namespace slurp::state::fuzz
