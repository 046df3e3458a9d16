#include "tests/consensus/golden_script.h"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace slurp::consensus::test {
namespace {

// Lines without their '\n'; a final newline does not make an empty line.
std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

bool is_comment_or_blank(const std::string& line) {
  return line.empty() || line.front() == '#';
}

std::string run_one(const std::string& command, std::size_t line_number,
                    const CommandRunner& runner) {
  std::string produced;
  try {
    produced = runner(command);
  } catch (const std::exception& e) {
    throw std::runtime_error("line " + std::to_string(line_number) + " '" +
                             command + "': " + e.what());
  }
  // A blank line would end the block early when the file is read back.
  if (produced.empty() || produced.find("\n\n") != std::string::npos ||
      produced.back() == '\n') {
    throw std::runtime_error("line " + std::to_string(line_number) +
                             ": the command printed a blank line");
  }
  return produced;
}

struct Edit {
  char op;               // ' ' kept, '-' only in expected, '+' only in actual
  std::size_t old_line;  // 0-based position in expected before this edit
  std::size_t new_line;  // 0-based position in actual before this edit
  std::string text;
};

// The shortest edit script by longest common subsequence. Golden files are
// a few hundred lines, so the quadratic table is small.
std::vector<Edit> diff_lines(const std::vector<std::string>& a,
                             const std::vector<std::string>& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::size_t> lcs((n + 1) * (m + 1), 0);
  auto at = [&](std::size_t i, std::size_t j) -> std::size_t& {
    return lcs[i * (m + 1) + j];
  };
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      at(i, j) = a[i] == b[j] ? at(i + 1, j + 1) + 1
                              : std::max(at(i + 1, j), at(i, j + 1));
    }
  }
  std::vector<Edit> edits;
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      edits.push_back({' ', i, j, a[i]});
      ++i, ++j;
    } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
      edits.push_back({'-', i, j, a[i]});  // removals first, as diff -u
      ++i;
    } else {
      edits.push_back({'+', i, j, b[j]});
      ++j;
    }
  }
  return edits;
}

constexpr std::size_t kContextLines = 3;

// One "@@ -a,b +c,d @@" hunk covering edits [begin, end).
std::string hunk(const std::vector<Edit>& edits, std::size_t begin,
                 std::size_t end) {
  std::size_t old_count = 0, new_count = 0;
  std::string body;
  for (std::size_t k = begin; k < end; ++k) {
    if (edits[k].op != '+') ++old_count;
    if (edits[k].op != '-') ++new_count;
    body += edits[k].op + edits[k].text + "\n";
  }
  return "@@ -" + std::to_string(edits[begin].old_line + 1) + "," +
         std::to_string(old_count) + " +" +
         std::to_string(edits[begin].new_line + 1) + "," +
         std::to_string(new_count) + " @@\n" + body;
}

}  // namespace

std::string run_script(std::string_view script, const CommandRunner& runner) {
  const std::vector<std::string> lines = split_lines(script);
  std::string out;
  std::size_t i = 0;
  while (i < lines.size()) {
    const std::string& line = lines[i];
    if (is_comment_or_blank(line)) {
      out += line + "\n";
      ++i;
      continue;
    }
    const std::size_t line_number = ++i;
    if (i < lines.size() && lines[i] == kOutputSeparator) {
      ++i;
      while (i < lines.size() && !lines[i].empty()) ++i;  // the old output
    }
    out += line + "\n" + std::string(kOutputSeparator) + "\n" +
           run_one(line, line_number, runner) + "\n";
    // A hand-written command directly followed by another one.
    if (i < lines.size() && !lines[i].empty()) out += "\n";
  }
  return out;
}

std::string line_diff(std::string_view expected, std::string_view actual,
                      const std::string& name) {
  if (expected == actual) return "";
  const std::vector<Edit> edits =
      diff_lines(split_lines(expected), split_lines(actual));
  std::string out =
      "--- " + name + " (checked in)\n+++ " + name + " (produced)\n";
  const auto first = std::find_if(edits.begin(), edits.end(),
                                  [](const Edit& e) { return e.op != ' '; });
  if (first == edits.end()) {
    // Same lines, so only the final newline differs.
    return out + "the files differ only in their final newline\n";
  }
  out +=
      "first difference at line " + std::to_string(first->old_line + 1) + "\n";
  std::size_t k = static_cast<std::size_t>(first - edits.begin());
  while (k < edits.size()) {
    if (edits[k].op == ' ') {
      ++k;
      continue;
    }
    const std::size_t begin = k >= kContextLines ? k - kContextLines : 0;
    // Extend over changes closer than two contexts apart.
    std::size_t last_change = k, j = k;
    while (j < edits.size()) {
      if (edits[j].op != ' ') {
        last_change = j++;
        continue;
      }
      std::size_t run_end = j;
      while (run_end < edits.size() && edits[run_end].op == ' ') ++run_end;
      if (run_end == edits.size() || run_end - j > 2 * kContextLines) break;
      j = run_end;
    }
    const std::size_t end =
        std::min(edits.size(), last_change + 1 + kContextLines);
    out += hunk(edits, begin, end);
    k = end;
  }
  return out;
}

}  // namespace slurp::consensus::test
