// The simulator's state machine: an append-only list of every applied
// entry with a running hash over it. It records the core's no-ops (kind 0)
// like any command, without interpreting them, so that every index can be
// compared between replicas. Simple on purpose: two replicas agree
// on the state up to index i exactly when their running hashes at i are
// equal, which is what the state machine safety check compares. (The
// queue state machine of src/ joins the simulator later.)
//
// Serialized form (the snapshot data handed to Raft::compact), all
// integers 8-byte little-endian:
//   version=1 | applied_index | applied_term | hash | count |
//   count x (index | term | kind | data_length | data bytes)
// deserialize() recomputes the hash, so a snapshot damaged on its way
// through the core's chunked install is caught.
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "protocol/messages.h"
#include "protocol/result.h"

namespace slurp::sim {

// Identifies a command's content independent of where it sits in the log.
std::uint64_t entry_digest(std::uint64_t kind, const Bytes& data);
// The state's hash after applying (index, term, digest) on top of `prev`.
std::uint64_t next_state_hash(std::uint64_t prev, std::uint64_t index,
                              std::uint64_t term, std::uint64_t digest);

class LogStateMachine {
 public:
  // Applies the entry right after applied_index(); the caller checks the
  // order (an out-of-order entry is a core bug the checker reports).
  void apply(const LogEntry& entry);

  Bytes serialize() const;
  // Errors (internal): truncated or malformed bytes, indices not dense from
  // 1, or a hash that does not match the commands.
  static Result<LogStateMachine> deserialize(std::span<const std::uint8_t> in);

  std::uint64_t applied_index() const { return commands_.size(); }
  std::uint64_t applied_term() const;
  std::uint64_t hash() const { return hash_; }
  // The entry applied at `index` (1 <= index <= applied_index()).
  const LogEntry& at(std::uint64_t index) const;

 private:
  std::vector<LogEntry> commands_;  // commands_[i] holds index i + 1
  std::uint64_t hash_ = 0;
};

}  // namespace slurp::sim
