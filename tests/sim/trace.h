// The run's event trace: every event the simulator processes is hashed in
// order, so two runs of one seed can be compared by one number (the
// determinism test), and with --verbose each event is also printed.
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string_view>

#include "tests/sim/hash.h"
#include "tests/sim/sim_types.h"

namespace slurp::sim {

struct TraceField {
  std::string_view name;
  std::uint64_t value;
};

class Trace {
 public:
  // `verbose` null: hash only (sweeps); otherwise one line per event.
  explicit Trace(std::ostream* verbose) : verbose_(verbose) {}

  // `subject` names who the event happened to ("n2", "c1", "net").
  void event(Micros now, std::string_view kind, std::string_view subject,
             std::initializer_list<TraceField> fields = {}) {
    event(now, kind, subject, std::span<const TraceField>(fields));
  }
  void event(Micros now, std::string_view kind, std::string_view subject,
             std::span<const TraceField> fields);
  // Hashed like event() but never printed: for the frequent, dull events
  // (ticks, syncs) that would drown a --verbose trace.
  void silent(Micros now, std::string_view kind, std::uint64_t subject);
  // Free text for a human reading --verbose; hashed like an event.
  void note(Micros now, std::string_view text);

  std::uint64_t hash() const { return hash_.value(); }
  std::uint64_t events() const { return events_; }
  bool verbose() const { return verbose_ != nullptr; }

 private:
  void print_time(Micros now);

  std::ostream* verbose_;
  Fnv64 hash_;
  std::uint64_t events_ = 0;
};

}  // namespace slurp::sim
