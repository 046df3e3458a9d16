// The framing of a snapshot (snapshot_format.h): records one after the
// other, each a 4-byte big-endian length and then that many bytes. Lets a
// writer emit and a reader take one stored context at a time, so neither
// holds a whole store's worth of decoded records.
//
// Plain functions and a cursor over caller-owned bytes; any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "protocol/messages.h"
#include "protocol/result.h"

namespace slurp::state {

inline constexpr std::size_t snapshot_frame_header_bytes = 4;

// Appends one frame holding `record` to `out`. A record of 4 GiB or more
// cannot be framed: asserts (records are bounded far below).
void append_frame(Bytes& out, std::span<const std::uint8_t> record);
// The 4 header bytes of a frame of `record_bytes`.
std::array<std::uint8_t, snapshot_frame_header_bytes> frame_header(
    std::size_t record_bytes);

// Reads frames from bytes in order.
class FrameReader {
 public:
  explicit FrameReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  // The next frame's record; nullopt at the end. Errors: bad_request when
  // the bytes end inside a header or a record.
  Result<std::optional<std::span<const std::uint8_t>>> next();
  // Bytes read so far.
  std::size_t offset() const { return offset_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

}  // namespace slurp::state
