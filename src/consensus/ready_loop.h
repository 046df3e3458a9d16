// The one place a Ready's contract (raft.h) is carried out: persist what
// must be durable, then send, then restore a snapshot and apply committed
// entries, then hand over confirmed reads, then advance. slurpd's node,
// the simulator's nodes and the consensus tests' cluster all run it, so a
// mistake in the order is everyone's and the 20,000 simulated seeds see it.
//
// It runs in two halves because the simulator's fsync takes simulated
// time: begin() takes the Ready and writes its durable part; finish()
// does the rest once the write is on disk. A shell whose persist() writes
// and syncs at once calls drain(), which runs both while the core has a
// Ready, or pairs them itself under a budget (slurpd's node stops after
// ready_work_per_turn_ms and takes the rest next turn).
//
// What to do when storage or a snapshot fails is the shell's: slurpd
// stops at once (continuing could acknowledge what is not on disk), the
// simulator reports an anomaly.
//
// Threads: the thread that owns the Raft.
#pragma once

#include <optional>

#include "src/consensus/raft.h"

namespace slurp::consensus {

// What the loop needs from the shell around the core.
class ReadyPorts {
 public:
  virtual ~ReadyPorts() = default;
  // Writes ready.hard_state, ready.snapshot and ready.entries; called only
  // when one of them is set (ReadyLoop::durable). For drain(), it must
  // also make them durable (one fsync) before returning.
  virtual void persist(const Ready& ready) = 0;
  virtual void send(const Envelope& envelope) = 0;
  // Replace the state machine with the snapshot's state.
  virtual void restore(const Snapshot& snapshot) = 0;
  virtual void apply(const LogEntry& entry) = 0;
  // Serve this read once the state machine has applied read.index.
  virtual void read_confirmed(const ReadState& read) = 0;
  // After advance(): compaction, bookkeeping, checks.
  virtual void advanced(const Ready& /*ready*/) {}
};

class ReadyLoop {
 public:
  // True when the Ready has something to persist (and so to fsync).
  static bool durable(const Ready& ready);

  // Takes the core's next Ready and persists its durable part; nullopt
  // when the core has nothing. Call finish() once it is on disk.
  static std::optional<Ready> begin(Raft& raft, ReadyPorts& ports);
  // Sends, restores, applies, hands over reads, advances.
  static void finish(Raft& raft, const Ready& ready, ReadyPorts& ports);
  // begin() and finish() back to back while the core has a Ready, for a
  // shell whose persist() is synchronous.
  static void drain(Raft& raft, ReadyPorts& ports);
};

}  // namespace slurp::consensus
