#include "src/engine/body_blanking.h"

#include <cstddef>

namespace slurp::engine {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

// Index past the literal or comment that starts at `k`, or `k` when none
// does.
std::size_t skip_literal(const std::string& s, std::size_t k, bool backtick) {
  const char c = s[k];
  if (c == '/' && k + 1 < s.size() && s[k + 1] == '/') {
    const std::size_t nl = s.find('\n', k);
    return nl == std::string::npos ? s.size() : nl;
  }
  if (c == '/' && k + 1 < s.size() && s[k + 1] == '*') {
    const std::size_t end = s.find("*/", k + 2);
    return end == std::string::npos ? s.size() : end + 2;
  }
  if (c == '"' || c == '\'' || (backtick && c == '`')) {
    std::size_t j = k + 1;
    for (; j < s.size() && s[j] != c; ++j) {
      if (s[j] == '\\') ++j;
      // Only template strings span lines; a stray quote stops at the line.
      if (j < s.size() && s[j] == '\n' && c != '`') return j;
    }
    return j < s.size() ? j + 1 : s.size();
  }
  return k;
}

// The matching `}` of the `{` at `open`, or npos.
std::size_t matching_brace(const std::string& s, std::size_t open,
                           bool backtick) {
  std::size_t depth = 0;
  for (std::size_t k = open; k < s.size();) {
    const std::size_t past = skip_literal(s, k, backtick);
    if (past != k) {
      k = past;
      continue;
    }
    if (s[k] == '{') ++depth;
    if (s[k] == '}' && --depth == 0) return k;
    ++k;
  }
  return std::string::npos;
}

}  // namespace

namespace {

// Index past the preprocessor directive whose line starts at `k` (its
// backslash-continued lines included), or `k` when the line is none.
std::size_t skip_directive(const std::string& s, std::size_t k) {
  std::size_t j = k;
  while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
  if (j == s.size() || s[j] != '#') return k;
  for (;;) {
    const std::size_t nl = s.find('\n', j);
    if (nl == std::string::npos) return s.size();
    std::size_t end = nl;
    if (end > 0 && s[end - 1] == '\r') --end;
    if (end == 0 || s[end - 1] != '\\') return nl;
    j = nl + 1;
  }
}

}  // namespace

std::size_t blank_function_bodies(std::string& text, bool backtick_strings) {
  std::size_t blanked = 0;
  char previous = '\0';  // the last byte outside blanks and literals
  for (std::size_t k = 0; k < text.size();) {
    // A macro's braces need not balance (`#define BEGIN(x) x {`): a
    // directive is never a body's start.
    if (k == 0 || text[k - 1] == '\n') {
      const std::size_t past = skip_directive(text, k);
      if (past != k) {
        k = past;
        continue;
      }
    }
    const std::size_t past = skip_literal(text, k, backtick_strings);
    if (past != k) {
      // A comment between `)` and `{` keeps the `)`; a literal does not.
      if (text[k] != '/') previous = '"';
      k = past;
      continue;
    }
    const char c = text[k];
    if (c == '{' && previous == ')') {
      const std::size_t close = matching_brace(text, k, backtick_strings);
      if (close != std::string::npos) {
        for (std::size_t j = k + 1; j < close; ++j) {
          // A #define inside a body is file-wide: kept.
          if (text[j - 1] == '\n') {
            const std::size_t past = skip_directive(text, j);
            if (past != j) {
              j = past < close ? past : close - 1;
              continue;
            }
          }
          if (!is_blank(text[j])) {
            text[j] = ' ';
            ++blanked;
          }
        }
        k = close;
        continue;
      }
    }
    if (!is_blank(c)) previous = c;
    ++k;
  }
  return blanked;
}

}  // namespace slurp::engine
