#include "src/engine/c_conditionals.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <vector>

namespace slurp::engine {
namespace {

struct Line {
  std::size_t begin = 0, end = 0;  // end at '\n' or the end of the text
};

// Lines, with a directive's backslash-continued lines joined into it.
std::vector<Line> logical_lines(std::string_view s) {
  std::vector<Line> out;
  std::size_t begin = 0;
  while (begin < s.size()) {
    std::size_t end = s.find('\n', begin);
    if (end == std::string_view::npos) end = s.size();
    while (end < s.size() && end > begin && s[end - 1] == '\\') {
      const std::size_t next = s.find('\n', end + 1);
      end = next == std::string_view::npos ? s.size() : next;
    }
    out.push_back({begin, end});
    begin = end + 1;
  }
  return out;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// The directive word ("if", "ifdef", "endif", ...) and what follows it, or
// "" for a line that is no directive.
std::string_view directive(std::string_view line, std::string_view* rest) {
  std::size_t k = 0;
  while (k < line.size() && is_blank(line[k])) ++k;
  if (k == line.size() || line[k] != '#') return {};
  ++k;
  while (k < line.size() && is_blank(line[k])) ++k;
  std::size_t end = k;
  while (end < line.size() && line[end] >= 'a' && line[end] <= 'z') ++end;
  if (rest) *rest = line.substr(end);
  return line.substr(k, end - k);
}

bool opens_group(std::string_view d) {
  return d == "if" || d == "ifdef" || d == "ifndef";
}
bool is_branch(std::string_view d) {
  return d == "elif" || d == "else" || d == "elifdef" || d == "elifndef";
}

// Braces plus parentheses opened minus closed, outside literals and
// comments (a rough lexer: enough to tell a balanced branch).
int open_count(std::string_view s) {
  int n = 0;
  for (std::size_t k = 0; k < s.size(); ++k) {
    const char c = s[k];
    if (c == '"' || c == '\'') {
      for (++k; k < s.size() && s[k] != c && s[k] != '\n'; ++k) {
        if (s[k] == '\\') ++k;
      }
    } else if (c == '/' && k + 1 < s.size() && s[k + 1] == '/') {
      while (k < s.size() && s[k] != '\n') ++k;
    } else if (c == '/' && k + 1 < s.size() && s[k + 1] == '*') {
      const std::size_t end = s.find("*/", k + 2);
      k = end == std::string_view::npos ? s.size() : end + 1;
    } else if (c == '{' || c == '(') {
      ++n;
    } else if (c == '}' || c == ')') {
      --n;
    }
  }
  return n;
}

void blank(std::string& out, std::size_t begin, std::size_t end) {
  for (std::size_t k = begin; k < end; ++k) {
    if (out[k] != '\n') out[k] = ' ';
  }
}

struct Group {
  std::vector<std::size_t> directives;  // line indexes: #if, #elif..., #else
  bool if_zero = false;
};

// At a group's #endif: drop `#if 0` and the branches after an unbalanced
// first one.
void settle(const Group& g, std::size_t endif, const std::vector<Line>& lines,
            std::string& out) {
  const std::size_t next = g.directives.size() > 1 ? g.directives[1] : endif;
  const std::size_t begin = lines[g.directives[0] + 1].begin;
  const std::size_t end = lines[next].begin;
  if (g.if_zero) {
    blank(out, begin, end);
    return;
  }
  if (g.directives.size() < 2 ||
      open_count(std::string_view(out).substr(begin, end - begin)) == 0) {
    return;
  }
  blank(out, end, lines[endif].begin);
}

}  // namespace

std::optional<std::string> blank_conditionals(std::string_view content) {
  if (content.find('#') == std::string_view::npos) return std::nullopt;
  const std::vector<Line> lines = logical_lines(content);
  std::string out;
  std::vector<Group> open;
  std::vector<std::size_t> directive_lines;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view rest;
    const std::string_view d = directive(
        content.substr(lines[i].begin, lines[i].end - lines[i].begin), &rest);
    if (d.empty()) continue;
    if (opens_group(d)) {
      Group g;
      g.directives.push_back(i);
      std::size_t k = 0;
      while (k < rest.size() && is_blank(rest[k])) ++k;
      g.if_zero = d == "if" && rest.substr(k).starts_with("0") &&
                  (rest.size() == k + 1 ||
                   !std::isalnum(static_cast<unsigned char>(rest[k + 1])));
      open.push_back(std::move(g));
    } else if (is_branch(d) && !open.empty()) {
      open.back().directives.push_back(i);
    } else if (d == "endif" && !open.empty()) {
      if (out.empty()) out.assign(content);
      settle(open.back(), i, lines, out);
      open.pop_back();
    } else {
      continue;
    }
    directive_lines.push_back(i);
  }
  if (directive_lines.empty()) return std::nullopt;
  if (out.empty()) out.assign(content);
  for (const std::size_t i : directive_lines) {
    blank(out, lines[i].begin, lines[i].end);
  }
  return out;
}

std::string include_guard(std::string_view content) {
  std::string guard;
  for (const Line& l : logical_lines(content.substr(
           0, std::min<std::size_t>(content.size(), 64u << 10)))) {
    std::string_view rest;
    const std::string_view d =
        directive(content.substr(l.begin, l.end - l.begin), &rest);
    if (d.empty()) continue;
    std::size_t k = 0;
    while (k < rest.size() && is_blank(rest[k])) ++k;
    std::size_t end = k;
    while (end < rest.size() && !is_blank(rest[end]) && rest[end] != '\r')
      ++end;
    const std::string_view name = rest.substr(k, end - k);
    if (guard.empty()) {
      if (d != "ifndef" || name.empty()) return {};
      guard = std::string(name);
      continue;
    }
    return d == "define" && name == guard ? guard : std::string();
  }
  return {};
}

}  // namespace slurp::engine
