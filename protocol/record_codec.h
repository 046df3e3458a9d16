// Encodes any Record (a struct with a fields() visitor list) as a bare
// msgpack map, without the `v`/`type` envelope of a payload frame, and
// decodes one back with the same limits and typed errors as decode().
//
// The replicated state machine uses it for log commands and snapshots: the
// same declare-once field lists as the wire catalog, so a command cannot be
// written one way and read another. Pure; any thread.
#pragma once

#include <cstdint>
#include <span>

#include "protocol/field_codec.h"
#include "protocol/msgpack_scan.h"
#include "protocol/result.h"

namespace slurp {

// Scans `bytes` within `limits` and unpacks them into a tree. Never throws.
Result<msgpack::object_handle> unpack_checked(
    std::span<const std::uint8_t> bytes, const MsgpackLimits& limits);

template <Record R>
Bytes encode_record(const R& record) {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  write_record(pk, record);
  const auto* p = reinterpret_cast<const std::uint8_t*>(buffer.data());
  return Bytes(p, p + buffer.size());
}

// A record, or bad_request / too_large with the offending field's path.
template <Record R>
Result<R> decode_record(std::span<const std::uint8_t> bytes,
                        const MsgpackLimits& limits = {}) {
  auto handle = unpack_checked(bytes, limits);
  if (!handle) return handle.error();
  R record;
  if (Status s = read_record(handle->get(), record, ""); !s) return s.error();
  return record;
}

}  // namespace slurp
