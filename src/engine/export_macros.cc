#include "src/engine/export_macros.h"

#include <vector>

namespace slurp::engine {
namespace {

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The word that starts at `at`, if one does (not the middle of one).
std::string_view word_at(std::string_view s, std::size_t at) {
  if (at >= s.size() || !ident_char(s[at]) || (at > 0 && ident_char(s[at - 1])))
    return {};
  std::size_t end = at;
  while (end < s.size() && ident_char(s[end])) ++end;
  return s.substr(at, end - at);
}

std::size_t skip_blanks(std::string_view s, std::size_t at) {
  while (at < s.size() && blank(s[at])) ++at;
  return at;
}

// The word before `at` on its line, if any.
std::string_view word_before(std::string_view s, std::size_t at) {
  std::size_t end = at;
  while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t')) --end;
  std::size_t begin = end;
  while (begin > 0 && ident_char(s[begin - 1])) --begin;
  return s.substr(begin, end - begin);
}

// Words that name an export, linkage or attribute macro in the wild:
// CURL_EXTERN, ZMQ_EXPORT, LEVELDB_EXPORT, FMT_API, GTEST_API_,
// FMT_CONSTEXPR, FMT_INLINE, ... Asked of every upper-case word of a C
// file: one pass over the word, comparing only the parts whose first
// letter could start one.
bool names_an_attribute(std::string_view m) {
  for (std::size_t k = 0; k + 3 <= m.size(); ++k) {
    const std::string_view rest = m.substr(k);
    bool hit = false;
    switch (m[k]) {
      case 'A':
        hit = rest.starts_with("API") || rest.starts_with("ATTR") ||
              rest.starts_with("ACQUIRE");
        break;
      case 'C': hit = rest.starts_with("CONSTEXPR"); break;
      case 'D':
        hit = rest.starts_with("DLL") || rest.starts_with("DECL") ||
              rest.starts_with("DEPRECATED");
        break;
      case 'E':
        hit = rest.starts_with("EXPORT") || rest.starts_with("EXTERN") ||
              rest.starts_with("EXCLUDES");
        break;
      case 'G': hit = rest.starts_with("GUARDED"); break;
      case 'I': hit = rest.starts_with("INLINE"); break;
      case 'L': hit = rest.starts_with("LOCK"); break;
      case 'N':
        hit = rest.starts_with("NODISCARD") || rest.starts_with("NORETURN") ||
              rest.starts_with("NOEXCEPT") || rest.starts_with("NOTHROW");
        break;
      case 'P': hit = rest.starts_with("PUBLIC"); break;
      case 'R':
        hit = rest.starts_with("REQUIRES") || rest.starts_with("RELEASE");
        break;
      case 'V': hit = rest.starts_with("VISIB"); break;
      default: break;
    }
    if (hit) return true;
  }
  return false;
}

// `CURL_EXTERN int (*fn)(...)`, `FMT_API void f();`: the macro before
// a declaration, outside a directive that defines or tests it.
void attribute_macros(std::string_view content,
                      std::vector<std::pair<std::size_t, std::size_t>>& found) {
  std::size_t stop = std::string_view::npos;
  for (std::size_t at = 0; at < content.size(); ++at) {
    const char c = content[at];
    if (c < 'A' || c > 'Z' || (at > 0 && ident_char(content[at - 1]))) continue;
    const std::string_view m = word_at(content, at);
    at += m.size();
    // Namespace macros are namespace_macros' (MSGPACK_API_..._NAMESPACE).
    if (!is_attribute_macro_name(m) ||
        m.find("NAMESPACE") != std::string_view::npos)
      continue;
    std::size_t next = skip_blanks(content, at);
    // `void f() GTEST_LOCK_EXCLUDED_(mu) {`: the macro and its arguments
    // between a declarator and its body or semicolon.
    if (next < content.size() && content[next] == '(') {
      // The first `)` or newline after it, found once for all the `(`
      // before it: a search per `MACRO(` could cross a long line each time.
      if (stop == std::string_view::npos || stop < next) {
        stop = content.find_first_of(")\n", next);
        if (stop == std::string_view::npos) stop = content.size();
      }
      if (stop == content.size() || content[stop] != ')') continue;
      const std::size_t close = stop;
      const std::size_t after = skip_blanks(content, close + 1);
      if (after < content.size() &&
          (content[after] == '{' || content[after] == ';')) {
        found.emplace_back(at - m.size(), close + 1 - (at - m.size()));
      }
      continue;
    }
    if (next == at || next >= content.size() ||
        !(ident_char(content[next]) || content[next] == '*'))
      continue;
    const std::string_view before = word_before(content, at - m.size());
    if (before == "define" || before == "ifdef" || before == "ifndef" ||
        before == "undef" || before == "defined")
      continue;
    found.emplace_back(at - m.size(), m.size());
  }
}

}  // namespace

bool is_export_macro_name(std::string_view word) {
  if (word.size() < 3) return false;
  bool letter = false;
  for (const char c : word) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') letter = true;
    if (!ident_char(c)) return false;
  }
  return letter;
}

namespace {

// `FMT_BEGIN_NAMESPACE` alone on a line (blanked: what it opens is read
// as top level, as ctags reads it) and `MSGPACK_API_VERSION_NAMESPACE(v1)
// {` (read as `namespace v1 {`).
void namespace_macros(std::string_view content, std::string& out,
                      bool& changed) {
  for (std::size_t at = content.find("NAMESPACE"); at != std::string_view::npos;
       at = content.find("NAMESPACE", at + 1)) {
    std::size_t begin = at;
    while (begin > 0 && ident_char(content[begin - 1])) --begin;
    const std::string_view m = word_at(content, begin);
    if (!is_export_macro_name(m)) continue;
    const std::size_t line = content.rfind('\n', begin);
    const std::size_t line_begin =
        line == std::string_view::npos ? 0 : line + 1;
    if (skip_blanks(content, line_begin) != begin) continue;
    const std::size_t after = begin + m.size();
    std::size_t eol = content.find('\n', after);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view rest = content.substr(after, eol - after);
    std::size_t i = 0;
    while (i < rest.size() && blank(rest[i])) ++i;
    if (i == rest.size()) {  // alone on its line
      if (!changed) out.assign(content);
      changed = true;
      out.replace(begin, m.size(), m.size(), ' ');
      continue;
    }
    if (rest[i] != '(' || m.size() < 9) continue;
    const std::size_t close = rest.find(')', i);
    if (close == std::string_view::npos) continue;
    std::size_t brace = close + 1;
    while (brace < rest.size() && blank(rest[brace])) ++brace;
    if (brace >= rest.size() || rest[brace] != '{') continue;
    if (!changed) out.assign(content);
    changed = true;
    out.replace(begin, m.size(), m.size(), ' ');
    out.replace(begin, 9, "namespace");
    out[after + i] = ' ';
    out[after + close] = ' ';
  }
}

}  // namespace

bool is_attribute_macro_name(std::string_view word) {
  return is_export_macro_name(word) && names_an_attribute(word);
}

std::optional<std::string> blank_export_macros(std::string_view content) {
  std::vector<std::pair<std::size_t, std::size_t>> found;
  for (const std::string_view keyword : {"class", "struct", "union"}) {
    for (std::size_t at = content.find(keyword); at != std::string_view::npos;
         at = content.find(keyword, at + 1)) {
      if (word_at(content, at) != keyword) continue;
      const std::size_t macro = skip_blanks(content, at + keyword.size());
      const std::string_view m = word_at(content, macro);
      if (!is_export_macro_name(m)) continue;
      const std::size_t next = skip_blanks(content, macro + m.size());
      if (next == macro + m.size() || word_at(content, next).empty()) continue;
      found.emplace_back(macro, m.size());
    }
  }
  attribute_macros(content, found);
  std::string out;
  bool changed = false;
  namespace_macros(content, out, changed);
  if (found.empty() && !changed) return std::nullopt;
  if (!changed) out.assign(content);
  for (const auto& [at, size] : found) out.replace(at, size, size, ' ');
  return out;
}

}  // namespace slurp::engine
