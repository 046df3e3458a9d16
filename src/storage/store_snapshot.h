// A snapshot whose contexts stay in contexts.db: the node's own snapshots
// for Raft to send. Its bytes are those StateMachine::snapshot() would give
// at its index (snapshot_format.h): the core frame, then one frame per
// context in address order. Only the core is held; the contexts are read
// from contexts.db as the log stood at the index (each address's latest
// version at or below it, which later writes never remove) when the core
// asks for a chunk, a page of rows at a time. The size is known up front
// from the core's context_count and context_bytes.
//
// So a node's snapshot costs a write of its core only, whatever the size of
// the store, and a follower that needs the contexts is sent them straight
// from the store.
//
// Reading is sequential in practice (the follower acknowledges each
// chunk); for a retransmission from an earlier offset the reader restarts
// from the nearest position it noted on the way (one per page read).
//
// Threads: the thread that owns the Raft core (read() opens a read-only
// connection of its own on first use).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "protocol/result.h"
#include "src/consensus/snapshot_data.h"
#include "src/storage/context_reader.h"

namespace slurp::storage {

class StoreSnapshot final : public consensus::SnapshotSource {
 public:
  // `core_frame`: the snapshot's first frame (its core record, framed).
  StoreSnapshot(Bytes core_frame, std::string contexts_dir, std::uint64_t index,
                std::uint64_t context_count, std::uint64_t context_bytes);

  std::uint64_t size() const override { return size_; }
  Result<Bytes> read(std::uint64_t offset, std::size_t n) const override;

 private:
  Status fill() const;
  void reposition(std::uint64_t offset) const;

  const Bytes core_;
  const std::string contexts_dir_;
  const std::uint64_t index_;
  const std::uint64_t size_;
  // The stream past the core: buffer_ holds its bytes from buffer_start_;
  // after_ is the address of the last context in it.
  mutable std::unique_ptr<ContextReader> reader_;
  mutable Bytes buffer_;
  mutable std::uint64_t buffer_start_;
  mutable std::string after_;
  // Stream offsets at which a context frame begins, and the address
  // before it: where a read can restart.
  mutable std::map<std::uint64_t, std::string> restart_points_;
};

// consensus::SnapshotData over a StoreSnapshot.
consensus::SnapshotData store_snapshot_data(Bytes core_frame,
                                            std::string contexts_dir,
                                            std::uint64_t index,
                                            std::uint64_t context_count,
                                            std::uint64_t context_bytes);

}  // namespace slurp::storage
