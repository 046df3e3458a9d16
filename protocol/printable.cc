#include "protocol/printable.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace slurp {
namespace {

// Length of the well-formed UTF-8 sequence at the start of `in` (1..4),
// or 0 if its first byte does not start one (Unicode 15, table 3-7).
std::size_t utf8_sequence_bytes(std::string_view in, char32_t& code_point) {
  const auto byte = [&](std::size_t i) {
    return static_cast<unsigned char>(in[i]);
  };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) {
    code_point = b0;
    return 1;
  }
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (in.size() < n) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  char32_t cp = b0 & (0xFF >> (n + 1));
  for (std::size_t i = 1; i < n; ++i) cp = (cp << 6) | (byte(i) & 0x3F);
  code_point = cp;
  return n;
}

bool reorders_or_breaks_lines(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// The printable form of the character at the start of `in`; sets `used`
// to the input bytes it stands for.
std::string escape_one(std::string_view in, std::size_t& used) {
  char buf[16];
  char32_t cp = 0;
  const std::size_t n = utf8_sequence_bytes(in, cp);
  if (n == 0) {
    used = 1;
    std::snprintf(buf, sizeof buf, "\\x%02X",
                  static_cast<unsigned>(static_cast<unsigned char>(in[0])));
    return buf;
  }
  used = n;
  if (n == 1) {
    switch (cp) {
      case '\\': return "\\\\";
      case '\n': return "\\n";
      case '\r': return "\\r";
      case '\t': return "\\t";
      default: break;
    }
    if (cp < 0x20 || cp == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(cp));
      return buf;
    }
  } else if (reorders_or_breaks_lines(cp)) {
    std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
    return buf;
  }
  return std::string(in.substr(0, n));
}

std::string marker(std::size_t left_out) {
  return "\xE2\x80\xA6(+" + std::to_string(left_out) + " bytes)";
}

}  // namespace

std::string printable_prefix(std::string_view in, std::size_t bytes_max) {
  // Room for the text if it must be cut: the marker is reserved at its
  // length for the whole input, which is at least what it will say.
  const std::size_t reserve = marker(in.size()).size();
  const std::size_t cut_room = bytes_max > reserve ? bytes_max - reserve : 0;
  std::string out;
  out.reserve(std::min(in.size(), bytes_max) + reserve);
  std::size_t at = 0;
  std::size_t cut_at = 0;  // input consumed when out last fitted cut_room
  std::size_t cut_size = 0;
  while (at < in.size()) {
    std::size_t used = 0;
    const std::string piece = escape_one(in.substr(at), used);
    if (out.size() + piece.size() > bytes_max) {
      out.resize(cut_size);
      return out + marker(in.size() - cut_at);
    }
    out += piece;
    at += used;
    if (out.size() <= cut_room) {
      cut_at = at;
      cut_size = out.size();
    }
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t at = 0;
  while (at < text.size()) {
    char32_t cp = 0;
    const std::size_t n = utf8_sequence_bytes(text.substr(at), cp);
    if (n == 0) return false;
    at += n;
  }
  return true;
}

}  // namespace slurp
