// A snapshot file next to raft.db as a consensus::SnapshotSource: the Raft
// core reads the chunk it sends to a follower from the file instead of
// holding the snapshot in memory (a snapshot holds every stored context).
// The file is opened once: a newer snapshot may replace and remove it
// while a follower is still being sent this one, and the open descriptor
// keeps its bytes readable until the last copy of the source is gone.
//
// Threads: read() from one thread at a time (pread: no shared offset).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "protocol/result.h"
#include "src/consensus/snapshot_data.h"

namespace slurp::storage {

class SnapshotFile final : public consensus::SnapshotSource {
 public:
  // Errors: internal when the file cannot be opened or is not `size` long.
  static Result<std::shared_ptr<const SnapshotFile>> open(
      const std::string& path, std::uint64_t size);
  ~SnapshotFile() override;
  SnapshotFile(const SnapshotFile&) = delete;
  SnapshotFile& operator=(const SnapshotFile&) = delete;

  std::uint64_t size() const override { return size_; }
  Result<Bytes> read(std::uint64_t offset, std::size_t n) const override;

 private:
  SnapshotFile(std::string path, int fd, std::uint64_t size);
  std::string path_;
  int fd_;
  std::uint64_t size_;
};

// consensus::SnapshotData over the file at `path`.
Result<consensus::SnapshotData> snapshot_data_in_file(const std::string& path,
                                                      std::uint64_t size);

}  // namespace slurp::storage
