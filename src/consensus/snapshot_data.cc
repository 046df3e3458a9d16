#include "src/consensus/snapshot_data.h"

#include <cassert>

namespace slurp::consensus {

Result<Bytes> SnapshotData::read(std::uint64_t offset, std::size_t n) const {
  assert(offset <= size() && n <= size() - offset);
  if (!bytes_) return source_->read(offset, n);
  const auto begin = bytes_->begin() + static_cast<std::ptrdiff_t>(offset);
  return Bytes(begin, begin + static_cast<std::ptrdiff_t>(n));
}

bool SnapshotData::operator==(const SnapshotData& other) const {
  if (bytes_ && other.bytes_) return *bytes_ == *other.bytes_;
  auto mine = read_all();
  auto theirs = other.read_all();
  return mine && theirs && *mine == *theirs;
}

}  // namespace slurp::consensus
