// The one place a Ready's contract (raft.h) is carried out: persist what
// must be durable, then send, then restore a snapshot and apply committed
// entries, then hand over confirmed reads, then advance. slurpd's node,
// the simulator's nodes and the consensus tests' cluster all run it, so a
// mistake in the order is everyone's and the 20,000 simulated seeds see it.
//
// It runs in two halves because an fsync takes time the node does not
// wait for: begin() takes the Ready and starts writing its durable part
// (slurpd hands it to its log writer thread; the simulator schedules a
// simulated fsync); finish() does the rest once the write is on disk. In
// between, the shell keeps stepping the core (messages, ticks, proposals)
// and calls send_early() after each, so a leader keeps replicating and
// heartbeating during its own fsync. A shell whose persist() writes and
// syncs at once calls drain(), which runs both halves while the core has
// a Ready.
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
  // Writes ready.hard_state, ready.snapshot and ready.entries, or starts
  // to; called only when one of them is set (ReadyLoop::durable). For
  // drain(), it must also make them durable (one fsync) before returning;
  // otherwise finish() waits until they are.
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

  // Takes the core's next Ready into `slot` and persists its durable part
  // (or starts to); false when the core has nothing. The Ready stays in
  // `slot`, where persist() may keep referring to it, until finish(),
  // called once it is on disk.
  static bool begin(Raft& raft, ReadyPorts& ports, std::optional<Ready>& slot);
  // Sends, restores, applies, hands over reads, advances.
  static void finish(Raft& raft, const Ready& ready, ReadyPorts& ports);
  // Sends what may leave before a write is durable
  // (Raft::take_early_messages): between begin() and finish(), after the
  // core took inputs, and by a shell with an asynchronous persist() just
  // before begin(), so a leader's appends reach its followers while its
  // own fsync runs rather than after it.
  static void send_early(Raft& raft, ReadyPorts& ports);
  // begin() and finish() back to back while the core has a Ready, for a
  // shell whose persist() is synchronous.
  static void drain(Raft& raft, ReadyPorts& ports);
};

}  // namespace slurp::consensus
