// The bytes of a snapshot: in memory (tests, the simulator, and a snapshot
// just received from a leader), or behind a source that reads them a chunk
// at a time (the node's own snapshots, in a file next to raft.db). The
// second kind is why this is not just Bytes: a node's snapshot holds every
// stored context and may be far larger than what the node should keep in
// RAM, yet the core only ever needs one chunk of it at a time, to send.
//
// Copies share the bytes (or the source). Threads: a source is read only
// by the thread that owns the Raft core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "protocol/messages.h"
#include "protocol/result.h"

namespace slurp::consensus {

class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  virtual std::uint64_t size() const = 0;
  // `n` bytes at `offset` (offset + n <= size()). Errors: internal when
  // they cannot be read.
  virtual Result<Bytes> read(std::uint64_t offset, std::size_t n) const = 0;
};

class SnapshotData {
 public:
  SnapshotData() : bytes_(std::make_shared<const Bytes>()) {}
  // In memory (implicit: a snapshot is bytes unless said otherwise).
  SnapshotData(Bytes bytes)  // NOLINT(google-explicit-constructor)
      : bytes_(std::make_shared<const Bytes>(std::move(bytes))) {}
  explicit SnapshotData(std::shared_ptr<const SnapshotSource> source)
      : source_(std::move(source)) {}

  std::uint64_t size() const {
    return bytes_ ? bytes_->size() : source_->size();
  }
  // `n` bytes at `offset` (offset + n <= size()).
  Result<Bytes> read(std::uint64_t offset, std::size_t n) const;
  // The bytes when in memory; nullptr when behind a source.
  const Bytes* bytes() const { return bytes_.get(); }
  // All of it, read from the source if need be (restores, tests).
  Result<Bytes> read_all() const { return read(0, size()); }

  // Equal bytes (a source is read whole: tests only).
  bool operator==(const SnapshotData& other) const;

 private:
  std::shared_ptr<const Bytes> bytes_;
  std::shared_ptr<const SnapshotSource> source_;
};

}  // namespace slurp::consensus
