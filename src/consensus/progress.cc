#include "src/consensus/progress.h"

namespace slurp::consensus {

void FollowerProgress::free_inflight_upto(std::uint64_t seq) {
  while (!inflight.empty() && inflight.front() <= seq) inflight.pop_front();
}

bool FollowerProgress::inflight_full(std::size_t inflight_max) const {
  // Probing sends one Append at a time: the answer decides where to go next.
  std::size_t limit = mode == ReplicationMode::replicate ? inflight_max : 1;
  return inflight.size() >= limit;
}

void FollowerProgress::become_probe(std::uint64_t next) {
  mode = ReplicationMode::probe;
  next_index = next;
  inflight.clear();
  streaming.reset();  // a finished or abandoned transfer frees its snapshot
  // Answers to anything sent before this point describe an older guess.
  reject_floor_seq = next_seq;
}

void FollowerProgress::become_replicate() {
  mode = ReplicationMode::replicate;
  next_index = match_index + 1;
  streaming.reset();
}

void FollowerProgress::become_snapshot(
    std::shared_ptr<const Snapshot> snapshot) {
  mode = ReplicationMode::snapshot;
  inflight.clear();
  snapshot_index = snapshot->meta.last_index;
  streaming = std::move(snapshot);
  snapshot_offset = 0;
  snapshot_chunk_bytes = 0;
  snapshot_progress = false;
}

}  // namespace slurp::consensus
