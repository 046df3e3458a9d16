// Quoting untrusted text (a request's `type`, a key name, an error's
// detail) in log lines, error replies and audit records: escaped so it can
// neither forge a line nor drive a terminal, valid UTF-8 so every decoder
// takes it, and bounded so a 1 MiB field costs at most a short prefix.
//
// Pure functions, callable from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace slurp {

// The longest marker printable_prefix appends: "…(+N bytes)" with N at its
// 20 digits. A bytes_max below this still yields the marker alone.
inline constexpr std::size_t printable_marker_bytes_max = 32;

// `in` as printable, valid UTF-8 of at most `bytes_max` bytes (the marker
// included; see printable_marker_bytes_max for tiny bounds):
// - `\` becomes `\\`, so every escape below is unambiguous;
// - \n, \r, \t become `\n`, `\r`, `\t`; other C0 bytes and DEL (ESC
//   included) become `\xNN`;
// - each byte that is not part of well-formed UTF-8 (stray continuation,
//   truncated sequence, overlong form, surrogate, > U+10FFFF) becomes
//   `\xNN`;
// - code points that reorder or break lines on a terminal or in an editor
//   (C1 controls U+0080..U+009F, U+2028/U+2029, bidi overrides and
//   isolates U+202A..U+202E, U+2066..U+2069) become `\u{XXXX}`;
// - everything else is copied.
// If the escaped text does not fit, it is cut on a character (never inside
// an escape) and "…(+N bytes)" is appended, N being the input bytes left
// out.
std::string printable_prefix(std::string_view in, std::size_t bytes_max);

// True if `text` is well-formed UTF-8 (the check printable_prefix applies).
bool is_valid_utf8(std::string_view text);

}  // namespace slurp
