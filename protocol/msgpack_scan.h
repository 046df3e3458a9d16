// A validating pre-pass over untrusted msgpack bytes.
//
// Before msgpack-cxx builds an object tree, scan_msgpack walks the bytes once
// without allocating and checks every declared length against the bytes that
// remain, the nesting depth, per-container counts and the total number of
// objects. So a frame such as `dd ff 00 00 00` (an array claiming 4 billion
// items in 5 bytes) is refused here with a reason, and the tree built later
// is bounded by limits.h. Pure function; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "protocol/limits.h"
#include "protocol/result.h"

namespace slurp {

struct MsgpackLimits {
  std::size_t bytes_max = limits::message_bytes_max;
  std::size_t depth_max = limits::msgpack_depth_max;
  std::size_t array_items_max = limits::msgpack_array_items_max;
  std::size_t map_entries_max = limits::msgpack_map_entries_max;
  std::size_t string_bytes_max = limits::msgpack_string_bytes_max;
  std::size_t bin_bytes_max = limits::msgpack_bin_bytes_max;
  std::size_t objects_max = limits::msgpack_objects_max;
};

// Ok when `bytes` hold exactly one well-formed msgpack object within
// `limits`. Errors: bad_request (truncated, trailing bytes, reserved byte
// 0xc1, ext types, too deep) or too_large (a count or size over its limit).
Status scan_msgpack(std::span<const std::uint8_t> bytes,
                    const MsgpackLimits& limits = {});

}  // namespace slurp
