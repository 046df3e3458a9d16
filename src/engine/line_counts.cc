// Differences from cloc 1.96, chosen on purpose:
// - C-family: a comment marker inside "..." (and '...' except in Rust,
//   where ' starts lifetimes) starts no comment; cloc only does this
//   with --strip-str-comments.
// - Markdown: only "[//]: #" and "[comment]: #" link comments are known.
#include "src/engine/line_counts.h"

#include <array>
#include <cstddef>

namespace slurp::engine {
namespace {

enum class Line { blank, comment, code };

bool is_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

bool is_blank(std::string_view line) {
  for (const char ch : line) {
    if (!is_space(ch)) return false;
  }
  return true;
}

std::string_view trim_front(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  return line.substr(i);
}

// Index just past the string literal opened at `open`, or the line's end
// when it is not closed on this line.
std::size_t skip_string(std::string_view line, std::size_t open) {
  const char quote = line[open];
  for (std::size_t i = open + 1; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;
    } else if (line[i] == quote) {
      return i + 1;
    }
  }
  return line.size();
}

// Once a line holds code, only these bytes can change what it is: they
// open comments and strings. Jumping between them instead of looking at
// every byte halved the time of a tree of C headers.
constexpr std::array<bool, 256> kCodeStops = [] {
  std::array<bool, 256> stops{};
  stops['/'] = stops['"'] = stops['\''] = true;
  return stops;
}();

std::size_t next_code_stop(std::string_view line, std::size_t from) {
  while (from < line.size() &&
         !kCodeStops[static_cast<unsigned char>(line[from])]) {
    ++from;
  }
  return from;
}

// cloc strips block comments from the whole text at once, so the line
// that closes a block joins the line that opened it: their code counts
// once, on the opening line. `continues` says this line began inside a
// block; `still_open` that a block is open at its end; `carried_code`
// whether the joined line so far holds code.
Line merge(bool continues, bool code, bool still_open, bool& carried_code) {
  const bool counted = continues ? code && !carried_code : code;
  const bool joined_code = (continues && carried_code) || code;
  carried_code = still_open && joined_code;
  return counted ? Line::code : Line::comment;
}

// "//" line comments and "/* */" block comments that do not nest.
class CFamily {
 public:
  explicit CFamily(bool single_quote_strings)
      : single_quote_strings_(single_quote_strings) {}

  // `line_at`: the line's offset in the file; `last_close`: the offset
  // of the file's last "*/" (npos if none).
  Line classify(std::string_view line, std::size_t line_at,
                std::size_t last_close) {
    const bool continues = in_block_;
    bool code = false;
    std::size_t i = 0;
    while (i < line.size()) {
      if (in_block_) {
        const auto end = line.find("*/", i);
        if (end == std::string_view::npos) break;
        in_block_ = false;
        i = end + 2;
        continue;
      }
      const char ch = line[i];
      const char next = i + 1 < line.size() ? line[i + 1] : '\0';
      if (is_space(ch)) {
        ++i;
      } else if (ch == '/' && next == '/') {
        break;
      } else if (ch == '/' && next == '*') {
        // cloc leaves a "/*" that never closes as code. Asking the last
        // "*/" of the file, not searching the rest for one, keeps a file
        // of unclosed "/*" linear.
        in_block_ = last_close != std::string_view::npos &&
                    last_close >= line_at + i + 2;
        code = code || !in_block_;
        i += 2;
      } else {
        code = true;
        const bool quote = ch == '"' || (ch == '\'' && single_quote_strings_);
        i = quote ? skip_string(line, i) : next_code_stop(line, i + 1);
      }
    }
    return merge(continues, code, in_block_, carried_code_);
  }

 private:
  bool single_quote_strings_;
  bool in_block_ = false;
  bool carried_code_ = false;
};

// Whole-line "#" comments (shell, CMake, YAML, TOML). Scripts keep a
// first-line shebang as code, as cloc does.
Line classify_hash(std::string_view line, bool shebang_is_code) {
  const auto text = trim_front(line);
  if (shebang_is_code && line.starts_with("#!")) return Line::code;
  return text.starts_with('#') ? Line::comment : Line::code;
}

// cloc's Python filters, in its order: drop lines holding "/*" or "*/" and
// whole-line "#" comments, turn every """ or ''' into a comment toggle
// (docstrings count as comments, wherever they stand). Its last filter,
// cutting "#.*$", runs only with --inline: by default a line where a
// docstring closes before "# ..." is code.
class Python {
 public:
  // `last_triple`: offset of the file's last """ or ''' (npos if none).
  explicit Python(std::size_t last_triple) : last_triple_(last_triple) {}

  // `line_at`: the line's offset in the file.
  Line classify(std::string_view line, std::size_t line_at, bool first_line) {
    if (first_line && line.starts_with("#!")) return Line::code;
    if (line.find("/*") != std::string_view::npos ||
        line.find("*/") != std::string_view::npos ||
        trim_front(line).starts_with('#')) {
      return Line::comment;
    }
    const bool continues = in_docstring_;
    bool code = false;
    std::size_t i = 0;
    while (i < line.size()) {
      const auto triple = next_triple(line, i);
      if (!in_docstring_) {
        auto outside = line.substr(i, triple - i);
        // cloc drops a "u" prefix with the opening quotes.
        if (triple != line.size() && !outside.empty() &&
            (outside.back() == 'u' || outside.back() == 'U')) {
          outside.remove_suffix(1);
        }
        if (!is_blank(outside)) code = true;
      }
      if (triple == line.size()) break;
      // cloc leaves an opening """ that never closes as code. Whether one
      // closes is asked of the last triple quote in the file, found once:
      // searching the rest at each opening was quadratic.
      if (!in_docstring_ && line_at + triple + 3 > last_triple_) {
        code = true;
      } else {
        in_docstring_ = !in_docstring_;
      }
      i = triple + 3;
    }
    return merge(continues, code, in_docstring_, carried_code_);
  }

 private:
  static std::size_t next_triple(std::string_view line, std::size_t from) {
    const auto dq = line.find("\"\"\"", from);
    const auto sq = line.find("'''", from);
    const auto first = dq < sq ? dq : sq;
    return first == std::string_view::npos ? line.size() : first;
  }

  std::size_t last_triple_;
  bool in_docstring_ = false;
  bool carried_code_ = false;
};

// HTML comments "<!-- -->", which may span lines.
class Markdown {
 public:
  Line classify(std::string_view line) {
    const auto text = trim_front(line);
    if (!in_comment_ &&
        (text.starts_with("[//]: #") || text.starts_with("[comment]: #"))) {
      return Line::comment;
    }
    bool code = false;
    std::size_t i = 0;
    while (i < line.size()) {
      if (in_comment_) {
        const auto end = line.find("-->", i);
        if (end == std::string_view::npos) break;
        in_comment_ = false;
        i = end + 3;
        continue;
      }
      const auto open = line.find("<!--", i);
      const auto stop = open == std::string_view::npos ? line.size() : open;
      if (!is_blank(line.substr(i, stop - i))) code = true;
      if (open == std::string_view::npos) break;
      in_comment_ = true;
      i = open + 4;
    }
    return code ? Line::code : Line::comment;
  }

 private:
  bool in_comment_ = false;
};

// Holds the per-file state of whichever syntax `language` uses.
class Classifier {
 public:
  Classifier(Language language, std::string_view content)
      : language_(language),
        c_family_(language != Language::rust),
        python_(last_triple_quote(language, content)),
        last_close_(content.rfind("*/")) {}

  Line classify(std::string_view line, std::size_t line_at, bool first_line) {
    if (is_blank(line)) {
      // State still advances through blank lines: they hold no markers.
      return Line::blank;
    }
    switch (language_) {
      case Language::c:
      case Language::cpp:
      case Language::go:
      case Language::javascript:
      case Language::typescript:
      case Language::rust:
      case Language::java:
        return c_family_.classify(line, line_at, last_close_);
      case Language::shell: return classify_hash(line, first_line);
      case Language::cmake:
      case Language::yaml:
      case Language::toml: return classify_hash(line, false);
      case Language::python: return python_.classify(line, line_at, first_line);
      case Language::markdown: return markdown_.classify(line);
      case Language::json:
      case Language::unknown: return Line::code;
    }
    return Line::code;
  }

 private:
  static std::size_t last_triple_quote(Language language,
                                       std::string_view content) {
    if (language != Language::python) return std::string_view::npos;
    const std::size_t dq = content.rfind("\"\"\"");
    const std::size_t sq = content.rfind("'''");
    if (dq == std::string_view::npos) return sq;
    if (sq == std::string_view::npos) return dq;
    return dq > sq ? dq : sq;
  }

  Language language_;
  CFamily c_family_;
  Python python_;
  Markdown markdown_;
  std::size_t last_close_;
};

}  // namespace

LineCounts count_lines(Language language, std::string_view content) {
  LineCounts counts;
  Classifier classifier(language, content);
  bool first_line = true;
  std::size_t line_at = 0;
  const std::string_view file = content;
  while (line_at < file.size()) {
    const auto newline = file.find('\n', line_at);
    const auto line = file.substr(line_at, newline - line_at);
    switch (classifier.classify(line, line_at, first_line)) {
      case Line::blank: ++counts.blank; break;
      case Line::comment: ++counts.comment; break;
      case Line::code: ++counts.code; break;
    }
    first_line = false;
    if (newline == std::string_view::npos) break;
    line_at = newline + 1;
  }
  return counts;
}

}  // namespace slurp::engine
