#include "protocol/msgpack_scan.h"

#include <string>
#include <vector>

namespace slurp {
namespace {

// What one header byte (plus its length field) announces.
struct Header {
  enum class Kind { scalar, str, bin, array, map, ext, invalid } kind;
  std::size_t header_bytes;  // type byte + length field
  std::uint64_t length;      // payload bytes (scalar/str/bin) or item count
};

std::uint64_t read_be(const std::uint8_t* p, std::size_t n) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < n; ++i) value = (value << 8) | p[i];
  return value;
}

// Decodes the header at bytes[pos]; the caller has checked pos < size.
// Returns nullopt-like invalid with header_bytes 0 when the length field
// itself is cut off.
Header read_header(std::span<const std::uint8_t> bytes, std::size_t pos) {
  using K = Header::Kind;
  const std::uint8_t b = bytes[pos];
  const std::size_t left = bytes.size() - pos - 1;
  auto sized = [&](K kind, std::size_t len_bytes) -> Header {
    if (left < len_bytes) return {K::invalid, 0, 0};
    return {kind, 1 + len_bytes, read_be(&bytes[pos + 1], len_bytes)};
  };
  if (b <= 0x7f || b >= 0xe0) return {K::scalar, 1, 0};
  if (b <= 0x8f) return {K::map, 1, b & 0x0fu};
  if (b <= 0x9f) return {K::array, 1, b & 0x0fu};
  if (b <= 0xbf) return {K::str, 1, b & 0x1fu};
  switch (b) {
    case 0xc0:
    case 0xc2:
    case 0xc3: return {K::scalar, 1, 0};
    case 0xc4: return sized(K::bin, 1);
    case 0xc5: return sized(K::bin, 2);
    case 0xc6: return sized(K::bin, 4);
    case 0xca: return {K::scalar, 1, 4};
    case 0xcb: return {K::scalar, 1, 8};
    case 0xcc:
    case 0xd0: return {K::scalar, 1, 1};
    case 0xcd:
    case 0xd1: return {K::scalar, 1, 2};
    case 0xce:
    case 0xd2: return {K::scalar, 1, 4};
    case 0xcf:
    case 0xd3: return {K::scalar, 1, 8};
    case 0xd9: return sized(K::str, 1);
    case 0xda: return sized(K::str, 2);
    case 0xdb: return sized(K::str, 4);
    case 0xdc: return sized(K::array, 2);
    case 0xdd: return sized(K::array, 4);
    case 0xde: return sized(K::map, 2);
    case 0xdf: return sized(K::map, 4);
    case 0xc1: return {K::invalid, 1, 0};
    default: return {K::ext, 1, 0};  // c7-c9, d4-d8
  }
}

std::string at(std::size_t pos) {
  return " at byte " + std::to_string(pos);
}

class Scanner {
 public:
  Scanner(std::span<const std::uint8_t> bytes, const MsgpackLimits& limits)
      : bytes_(bytes), limits_(limits) {}

  Status run() {
    if (bytes_.empty()) return bad("empty message", 0);
    if (bytes_.size() > limits_.bytes_max) {
      return make_error(ErrorCode::too_large,
                        "message of " + std::to_string(bytes_.size()) +
                            " bytes exceeds " +
                            std::to_string(limits_.bytes_max));
    }
    pending_.push_back(1);  // the one top-level object
    while (!pending_.empty()) {
      if (Status s = step(); !s) return s;
      while (!pending_.empty() && pending_.back() == 0) pending_.pop_back();
    }
    if (pos_ != bytes_.size()) {
      return bad(std::to_string(bytes_.size() - pos_) +
                     " trailing bytes after the message",
                 pos_);
    }
    return ok_status();
  }

 private:
  static Error bad(std::string reason, std::size_t pos) {
    return make_error(ErrorCode::bad_request, reason + at(pos));
  }
  static Error large(std::string what, std::uint64_t n, std::size_t max,
                     std::size_t pos) {
    return make_error(ErrorCode::too_large, what + " of " + std::to_string(n) +
                                                " exceeds " +
                                                std::to_string(max) + at(pos));
  }

  // Consumes one object header (and a scalar's payload) at pos_.
  Status step() {
    using K = Header::Kind;
    if (pos_ >= bytes_.size()) return bad("truncated message", pos_);
    if (++objects_ > limits_.objects_max) {
      return large("object count", objects_, limits_.objects_max, pos_);
    }
    const std::size_t start = pos_;
    const Header h = read_header(bytes_, pos_);
    if (h.kind == K::invalid) {
      return h.header_bytes == 0 ? bad("truncated length field", start)
                                 : bad("reserved byte 0xc1", start);
    }
    if (h.kind == K::ext) return bad("ext types are not used", start);
    pending_.back() -= 1;
    pos_ += h.header_bytes;
    const std::size_t left = bytes_.size() - pos_;
    switch (h.kind) {
      case K::array: return open(h.length, limits_.array_items_max, 1, start);
      case K::map: return open(h.length, limits_.map_entries_max, 2, start);
      case K::str:
        if (h.length > limits_.string_bytes_max)
          return large("string length", h.length, limits_.string_bytes_max,
                       start);
        break;
      case K::bin:
        if (h.length > limits_.bin_bytes_max)
          return large("bin length", h.length, limits_.bin_bytes_max, start);
        break;
      default: break;
    }
    if (h.length > left) {
      return bad("declared length " + std::to_string(h.length) +
                     " exceeds the " + std::to_string(left) +
                     " bytes that remain",
                 start);
    }
    pos_ += static_cast<std::size_t>(h.length);
    return ok_status();
  }

  // A container of `count` entries, each `per_entry` objects.
  Status open(std::uint64_t count, std::size_t max, std::uint64_t per_entry,
              std::size_t start) {
    if (count > max) {
      return large(per_entry == 2 ? "map size" : "array size", count, max,
                   start);
    }
    const std::uint64_t objects = count * per_entry;
    // Every object takes at least one byte, so a count larger than the
    // remaining bytes is a lie; refuse it before anything is sized by it.
    if (objects > bytes_.size() - pos_) {
      return bad("container declares " + std::to_string(count) +
                     " entries but only " +
                     std::to_string(bytes_.size() - pos_) + " bytes remain",
                 start);
    }
    if (objects == 0) return ok_status();
    // pending_ holds the top level plus one entry per open container.
    if (pending_.size() > limits_.depth_max) {
      return bad("nesting deeper than " + std::to_string(limits_.depth_max),
                 start);
    }
    pending_.push_back(objects);
    return ok_status();
  }

  std::span<const std::uint8_t> bytes_;
  const MsgpackLimits& limits_;
  std::vector<std::uint64_t> pending_;  // objects still due per open level
  std::size_t pos_ = 0;
  std::size_t objects_ = 0;
};

}  // namespace

Status scan_msgpack(std::span<const std::uint8_t> bytes,
                    const MsgpackLimits& limits) {
  return Scanner(bytes, limits).run();
}

}  // namespace slurp
