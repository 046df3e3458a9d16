#include "src/consensus/ready_loop.h"

namespace slurp::consensus {

bool ReadyLoop::durable(const Ready& ready) {
  return ready.hard_state || !ready.entries.empty() || ready.snapshot;
}

bool ReadyLoop::begin(Raft& raft, ReadyPorts& ports,
                      std::optional<Ready>& slot) {
  if (!raft.has_ready()) return false;
  slot.emplace(raft.ready());
  if (durable(*slot)) ports.persist(*slot);
  return true;
}

// The order is raft.h's: a message may promise what was persisted (a vote,
// an append ack), so it goes only after persist; the snapshot comes before
// the entries committed after it; reads are confirmed at an index the
// entries just applied may reach.
void ReadyLoop::finish(Raft& raft, const Ready& ready, ReadyPorts& ports) {
  for (const Envelope& envelope : ready.messages) ports.send(envelope);
  if (ready.snapshot) ports.restore(*ready.snapshot);
  for (const LogEntry& entry : ready.committed) ports.apply(entry);
  for (const ReadState& read : ready.reads) ports.read_confirmed(read);
  raft.advance(ready);
  ports.advanced(ready);
}

void ReadyLoop::send_early(Raft& raft, ReadyPorts& ports) {
  for (const Envelope& envelope : raft.take_early_messages()) {
    ports.send(envelope);
  }
}

void ReadyLoop::drain(Raft& raft, ReadyPorts& ports) {
  std::optional<Ready> ready;
  while (begin(raft, ports, ready)) {
    finish(raft, *ready, ports);
    ready.reset();
  }
}

}  // namespace slurp::consensus
