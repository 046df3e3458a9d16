#include "src/engine/comment_text.h"

#include "src/engine/symbols.h"

namespace slurp::engine {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Cuts to at most `bytes_max` bytes without splitting a UTF-8 sequence.
std::string bounded(std::string_view s, std::size_t bytes_max) {
  if (s.size() > bytes_max) {
    std::size_t n = bytes_max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s = s.substr(0, n);
  }
  return std::string(trim(s));
}

// Comment markers off each line; a blank line becomes a paragraph break.
std::string comment_prose(std::string_view text) {
  std::string out;
  while (!text.empty() && out.size() < 4 * extract_text_bytes_max) {
    const std::size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text =
        nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.ends_with("*/")) line.remove_suffix(2);
    for (const std::string_view p : {"/**", "/*!", "/*", "///", "//!", "//",
                                     "#!", "#", "*", "\"\"\"", "'''"}) {
      if (line.starts_with(p)) {
        line.remove_prefix(p.size());
        break;
      }
    }
    while (!line.empty() && (line.front() == '#' || line.front() == '*'))
      line.remove_prefix(1);
    line = trim(line);
    if (line.empty()) {
      if (!out.empty()) out += '\n';
    } else {
      if (!out.empty() && out.back() != '\n') out += ' ';
      out += line;
    }
  }
  return out;
}

std::string first_sentence(std::string_view prose) {
  prose = trim(prose);
  std::size_t end = prose.find('\n');
  for (std::size_t k = 0; k + 1 < prose.size() && k < end; ++k) {
    if ((prose[k] == '.' || prose[k] == '!' || prose[k] == '?') &&
        (prose[k + 1] == ' ' || prose[k + 1] == '\n')) {
      end = k + 1;
      break;
    }
  }
  return bounded(prose.substr(0, end), extract_text_bytes_max);
}

}  // namespace slurp::engine
