#include "src/state/snapshot_frames.h"

#include <array>
#include <cassert>
#include <limits>

namespace slurp::state {

std::array<std::uint8_t, snapshot_frame_header_bytes> frame_header(
    std::size_t record_bytes) {
  assert(record_bytes <= std::numeric_limits<std::uint32_t>::max());
  const auto n = static_cast<std::uint32_t>(record_bytes);
  return {static_cast<std::uint8_t>(n >> 24),
          static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
          static_cast<std::uint8_t>(n)};
}

void append_frame(Bytes& out, std::span<const std::uint8_t> record) {
  const auto header = frame_header(record.size());
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), record.begin(), record.end());
}

Result<std::optional<std::span<const std::uint8_t>>> FrameReader::next() {
  if (offset_ == bytes_.size()) {
    return std::optional<std::span<const std::uint8_t>>();
  }
  if (bytes_.size() - offset_ < snapshot_frame_header_bytes) {
    return make_error(ErrorCode::bad_request,
                      "the snapshot ends inside a frame header at byte " +
                          std::to_string(offset_),
                      "frames");
  }
  const std::uint8_t* h = bytes_.data() + offset_;
  const std::size_t n = (std::size_t{h[0]} << 24) | (std::size_t{h[1]} << 16) |
                        (std::size_t{h[2]} << 8) | std::size_t{h[3]};
  const std::size_t start = offset_ + snapshot_frame_header_bytes;
  if (bytes_.size() - start < n) {
    return make_error(
        ErrorCode::bad_request,
        "the snapshot ends inside the frame at byte " + std::to_string(offset_),
        "frames");
  }
  offset_ = start + n;
  return std::optional<std::span<const std::uint8_t>>(bytes_.subspan(start, n));
}

}  // namespace slurp::state
