#include "src/storage/store_snapshot.h"

#include <algorithm>

#include "src/state/snapshot_frames.h"

namespace slurp::storage {
namespace {

// Contexts read per query: ~2 KB each, so a few hundred KB, about one
// chunk of snapshot_chunk_bytes_max.
constexpr std::size_t kRowsPerPage = 128;

}  // namespace

StoreSnapshot::StoreSnapshot(Bytes core_frame, std::string contexts_dir,
                             std::uint64_t index, std::uint64_t context_count,
                             std::uint64_t context_bytes)
    : core_(std::move(core_frame)),
      contexts_dir_(std::move(contexts_dir)),
      index_(index),
      size_(core_.size() + context_count * state::snapshot_frame_header_bytes +
            context_bytes),
      buffer_start_(core_.size()) {
  restart_points_.emplace(core_.size(), "");
}

void StoreSnapshot::reposition(std::uint64_t offset) const {
  auto it = restart_points_.upper_bound(offset);
  --it;  // the first point (the core's end) is at or below any offset here
  buffer_.clear();
  buffer_start_ = it->first;
  after_ = it->second;
}

Status StoreSnapshot::fill() const {
  if (!reader_) {
    auto reader = ContextReader::open(contexts_dir_);
    if (!reader) return reader.error();
    reader_ = std::move(*reader);
  }
  buffer_start_ += buffer_.size();
  buffer_.clear();
  restart_points_.emplace(buffer_start_, after_);
  std::size_t rows = 0;
  Status s = reader_->page_as_of(index_, after_, kRowsPerPage,
                                 [&](std::string address, Bytes record) {
                                   state::append_frame(buffer_, record);
                                   after_ = std::move(address);
                                   ++rows;
                                 });
  if (!s) return s;
  if (rows == 0) {
    return make_error(
        ErrorCode::internal,
        "contexts.db ends at byte " + std::to_string(buffer_start_) +
            " of the snapshot at index " + std::to_string(index_) +
            ", which has " + std::to_string(size_));
  }
  return ok_status();
}

Result<Bytes> StoreSnapshot::read(std::uint64_t offset, std::size_t n) const {
  Bytes out;
  out.reserve(n);
  std::uint64_t pos = offset;
  const std::uint64_t end = offset + n;
  if (pos < core_.size()) {
    const std::uint64_t stop = std::min<std::uint64_t>(end, core_.size());
    out.insert(out.end(), core_.begin() + static_cast<std::ptrdiff_t>(pos),
               core_.begin() + static_cast<std::ptrdiff_t>(stop));
    pos = stop;
  }
  if (pos < end && pos < buffer_start_) reposition(pos);
  while (pos < end) {
    if (pos >= buffer_start_ + buffer_.size()) {
      if (Status s = fill(); !s) return s.error();
      continue;
    }
    const std::uint64_t from = pos - buffer_start_;
    const std::uint64_t stop =
        std::min<std::uint64_t>(end - buffer_start_, buffer_.size());
    out.insert(out.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(from),
               buffer_.begin() + static_cast<std::ptrdiff_t>(stop));
    pos = buffer_start_ + stop;
  }
  if (out.size() != n) {
    return make_error(ErrorCode::internal, "snapshot read came out short");
  }
  return out;
}

consensus::SnapshotData store_snapshot_data(Bytes core_frame,
                                            std::string contexts_dir,
                                            std::uint64_t index,
                                            std::uint64_t context_count,
                                            std::uint64_t context_bytes) {
  return consensus::SnapshotData(std::make_shared<const StoreSnapshot>(
      std::move(core_frame), std::move(contexts_dir), index, context_count,
      context_bytes));
}

}  // namespace slurp::storage
