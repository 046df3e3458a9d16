#include "tools/monitor/ansi.h"

namespace slurp::monitor::ansi {
namespace {

constexpr char kEscape = '\x1b';

// Length of the escape at text[i] (which is ESC): a CSI sequence runs to
// its final byte in 0x40..0x7e; anything else is ESC plus one byte.
std::size_t escape_length(std::string_view text, std::size_t i) {
  if (i + 1 >= text.size()) return 1;
  if (text[i + 1] != '[') return 2;
  std::size_t j = i + 2;
  while (j < text.size()) {
    const auto c = static_cast<unsigned char>(text[j]);
    ++j;
    if (c >= 0x40 && c <= 0x7e) break;
  }
  return j - i;
}

// Length of the UTF-8 sequence starting with `lead` (1 for stray bytes).
std::size_t utf8_length(unsigned char lead) {
  if (lead >= 0xf0 && lead < 0xf8) return 4;
  if (lead >= 0xe0) return lead < 0xf0 ? 3 : 1;
  if (lead >= 0xc0) return 2;
  return 1;
}

}  // namespace

std::string paint(std::string_view text, std::string_view sgr, bool on) {
  if (!on || sgr.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size() + sgr.size() + 7);
  out.append("\x1b[").append(sgr).append("m").append(text).append("\x1b[0m");
  return out;
}

std::size_t visible_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == kEscape) {
      i += escape_length(text, i);
      continue;
    }
    i += utf8_length(static_cast<unsigned char>(text[i]));
    ++width;
  }
  return width;
}

std::string fit(std::string_view text, std::size_t columns) {
  std::string out;
  std::size_t width = 0;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == kEscape) {
      const std::size_t n = escape_length(text, i);
      out.append(text.substr(i, n));
      escaped = true;
      i += n;
      continue;
    }
    if (width == columns) break;
    const std::size_t n = utf8_length(static_cast<unsigned char>(text[i]));
    out.append(text.substr(i, n));
    ++width;
    i += n;
  }
  if (escaped) out.append("\x1b[0m");
  return out;
}

bool has_escape(std::string_view text) {
  return text.find(kEscape) != std::string_view::npos;
}

}  // namespace slurp::monitor::ansi
