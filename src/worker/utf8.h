// UTF-8 validity, for text that goes into JSON (a job's content) or onto
// the wire as a msgpack str (a failure reason built from a command's
// stderr). Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace slurp::worker {

// The length of the well-formed UTF-8 sequence that starts at s[i], or 0
// when there is none (a stray continuation byte, an overlong form, a
// surrogate, past U+10FFFF, or cut short).
inline std::size_t utf8_sequence_bytes(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) {
    return static_cast<std::uint8_t>(s[k]);
  };
  const std::uint8_t c = byte(i);
  std::size_t more = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    more = 1, cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    more = 2, cp = c & 0x0Fu;
  } else if (c >= 0xF0 && c <= 0xF4) {
    more = 3, cp = c & 0x07u;
  } else {
    return 0;
  }
  if (s.size() - i <= more) return 0;
  for (std::size_t k = 1; k <= more; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    return 0;
  }
  return more + 1;
}

inline bool is_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_bytes(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// `s` as valid UTF-8 for a message: broken sequences and control
// characters become '?', and it ends on a character boundary within
// `bytes_max` bytes.
inline std::string printable_utf8(std::string_view s, std::size_t bytes_max) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_bytes(s, i);
    const auto c = static_cast<std::uint8_t>(s[i]);
    const bool control = n == 1 && (c < 0x20 || c == 0x7f);
    if (out.size() + (n == 0 || control ? 1 : n) > bytes_max) break;
    if (n == 0 || control) {
      out += '?';
    } else {
      out.append(s.substr(i, n));
    }
    i += n == 0 ? 1 : n;
  }
  return out;
}

}  // namespace slurp::worker
