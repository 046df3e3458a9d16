#include "src/engine/parse_ranges.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

namespace slurp::engine {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// How each language quotes and nests; see parse_ranges.h.
struct Rules {
  bool directives = false;         // C: `#` first on a line
  bool cpp_literals = false;       // R"d(...)d", 1'000'000
  bool one_line_chars = false;     // '...' ends at the line (C, Go, Java)
  bool js = false;                 // '...' strings, `${}` templates, /re/
  bool multiline_strings = false;  // Rust "..."
  bool text_blocks = false;        // Java """..."""
  bool go_raw_strings = false;     // Go `...`
  bool rust = false;               // lifetimes, r#"..."#, nested block comments
  bool keeps_namespaces = false;   // C, C++
  bool keeps_mods = false;         // Rust
};

Rules rules_for(Language language) {
  Rules r;
  switch (language) {
    case Language::c:
    case Language::cpp:
      r.directives = r.cpp_literals = r.one_line_chars = true;
      r.keeps_namespaces = true;
      break;
    case Language::go: r.one_line_chars = r.go_raw_strings = true; break;
    case Language::java: r.one_line_chars = r.text_blocks = true; break;
    case Language::javascript:
    case Language::typescript: r.js = true; break;
    case Language::rust:
      r.rust = r.multiline_strings = r.keeps_mods = true;
      break;
    default: break;
  }
  return r;
}

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// Words after which a `/` starts a regular expression, not a division.
bool regex_keyword(std::string_view w) {
  for (const std::string_view k :
       {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete",
        "void", "throw", "yield", "await", "instanceof"}) {
    if (w == k) return true;
  }
  return false;
}

// Template literals inside `${...}` inside template literals, at most this
// deep; deeper, the rest of the file is one literal (nothing is skipped).
constexpr int kTemplateDepthMax = 32;
// A regular expression literal longer than this is taken for a division.
constexpr std::size_t kRegexBytesMax = 4096;

// The spans found so far, with their points: offsets are only added in
// growing order, so rows are counted once over the text.
class Spans {
 public:
  explicit Spans(std::string_view s) : s_(s) {}

  void add(std::size_t begin, std::size_t end) {
    if (begin >= end) return;
    SkippedSpan span;
    span.begin = static_cast<std::uint32_t>(begin);
    span.end = static_cast<std::uint32_t>(end);
    span.begin_point = point_at(begin);
    span.end_point = point_at(end);
    out_.push_back(span);
  }
  std::size_t size() const { return out_.size(); }
  std::vector<SkippedSpan> take() { return std::move(out_); }

 private:
  TextPoint point_at(std::size_t byte) {
    while (point_byte_ < byte) {
      const void* nl =
          std::memchr(s_.data() + point_byte_, '\n', byte - point_byte_);
      if (nl == nullptr) {
        point_byte_ = byte;
        break;
      }
      point_byte_ =
          static_cast<std::size_t>(static_cast<const char*>(nl) - s_.data()) +
          1;
      ++point_row_;
      point_line_start_ = point_byte_;
    }
    return {point_row_, static_cast<std::uint32_t>(byte - point_line_start_)};
  }

  std::string_view s_;
  std::vector<SkippedSpan> out_;
  std::size_t point_byte_ = 0;
  std::uint32_t point_row_ = 0;
  std::size_t point_line_start_ = 0;
};

// Bytes [begin, end) read inside a skipped body.
struct Kept {
  std::size_t begin = 0, end = 0;
};

class Scanner {
 public:
  Scanner(std::string_view s, const Rules& r) : s_(s), r_(r), out_(s) {}

  std::vector<SkippedSpan> run();

 private:
  char at(std::size_t k) const { return k < s_.size() ? s_[k] : '\0'; }

  std::size_t step(std::size_t k);
  std::size_t past_directive(std::size_t k) const;
  bool is_define(std::size_t k) const;
  std::size_t past_block_comment(std::size_t k) const;
  std::size_t past_quoted(std::size_t k, bool multiline) const;
  std::size_t past_text_block(std::size_t k) const;
  std::size_t past_cpp_raw(std::size_t k) const;
  std::size_t past_rust_raw(std::size_t k) const;
  std::size_t past_rust_quote(std::size_t k) const;
  std::size_t past_template(std::size_t k);
  std::size_t past_regex(std::size_t k);
  bool regex_allowed() const;
  std::size_t close_of(std::size_t open, std::vector<Kept>* defines);
  std::size_t comments_above(std::size_t line, std::size_t floor) const;
  void add_spans(std::size_t open, std::size_t close,
                 const std::vector<Kept>& defines);

  std::string_view s_;
  Rules r_;
  Spans out_;
  // Lexical state carried from one element to the next.
  bool line_has_token_ = false;      // a directive's `#` must come first
  char prev_ = '\0';                 // the last significant byte
  std::string_view prev_word_;       // the last word, if prev_ ends it
  std::size_t no_regex_before_ = 0;  // a failed /re/ scan reached here
  int template_depth_ = 0;
  bool exhausted_ = false;  // a `{`, quote or template never closed
};

// Index past the lexical element at `k`: a blank, a comment, a literal, a
// word or one punctuator. Directives are the caller's.
std::size_t Scanner::step(std::size_t k) {
  const char c = s_[k];
  if (c == '\n') {
    line_has_token_ = false;
    return k + 1;
  }
  if (is_blank(c)) return k + 1;
  line_has_token_ = true;
  const char next = at(k + 1);
  if (c == '/' && next == '/') {
    const std::size_t nl = s_.find('\n', k);
    return nl == npos ? s_.size() : nl;
  }
  if (c == '/' && next == '*') return past_block_comment(k);
  if (r_.js && c == '/' && regex_allowed()) {
    const std::size_t past = past_regex(k);
    if (past != k) {
      prev_ = '"';
      return past;
    }
  }
  std::size_t past = k;
  if (c == '"') {
    if (r_.text_blocks && next == '"' && at(k + 2) == '"') {
      past = past_text_block(k);
    } else if (r_.cpp_literals && k > 0 && s_[k - 1] == 'R') {
      past = past_cpp_raw(k);
    }
    if (past == k) past = past_quoted(k, r_.multiline_strings);
  } else if (c == '\'') {
    if (r_.rust) {
      past = past_rust_quote(k);
    } else if (r_.cpp_literals && k > 0 && ident_char(s_[k - 1])) {
      // 1'000'000: a digit separator, when the word started with a digit.
      std::size_t w = k;
      while (w > 0 && ident_char(s_[w - 1])) --w;
      past = s_[w] >= '0' && s_[w] <= '9' ? k + 1 : past_quoted(k, false);
    } else if (r_.one_line_chars || r_.js) {
      past = past_quoted(k, false);
    }
  } else if (c == '`') {
    if (r_.go_raw_strings) {
      const std::size_t end = s_.find('`', k + 1);
      past = end == npos ? s_.size() : end + 1;
    } else if (r_.js) {
      past = past_template(k);
    }
  } else if (r_.rust && (c == 'r' || c == 'b' || c == 'c') &&
             (k == 0 || !ident_char(s_[k - 1]))) {
    past = past_rust_raw(k);
  }
  if (past != k) {
    prev_ = '"';
    return past;
  }
  if (ident_char(c)) {
    std::size_t end = k + 1;
    while (end < s_.size() && ident_char(s_[end])) ++end;
    prev_ = 'a';
    prev_word_ = s_.substr(k, end - k);
    return end;
  }
  prev_ = c;
  return k + 1;
}

// Index past a directive at `k` (its continued lines included), or `k`
// when none starts there.
std::size_t Scanner::past_directive(std::size_t k) const {
  if (!r_.directives || line_has_token_ || s_[k] != '#') return k;
  for (std::size_t j = k;;) {
    const std::size_t nl = s_.find('\n', j);
    if (nl == npos) return s_.size();
    std::size_t end = nl;
    if (end > k && s_[end - 1] == '\r') --end;
    if (end == k || s_[end - 1] != '\\') return nl;
    j = nl + 1;
  }
}

bool Scanner::is_define(std::size_t k) const {
  std::size_t j = k + 1;
  while (j < s_.size() && is_blank(s_[j])) ++j;
  return s_.substr(j, 6) == "define" && !ident_char(at(j + 6));
}

std::size_t Scanner::past_block_comment(std::size_t k) const {
  if (!r_.rust) {
    const std::size_t end = s_.find("*/", k + 2);
    return end == npos ? s_.size() : end + 2;
  }
  std::size_t depth = 1;
  std::size_t j = k + 2;
  while (j < s_.size() && depth > 0) {
    if (s_[j] == '/' && at(j + 1) == '*') {
      ++depth, j += 2;
    } else if (s_[j] == '*' && at(j + 1) == '/') {
      --depth, j += 2;
    } else {
      ++j;
    }
  }
  return j;
}

// A literal quoted by s_[k], backslash escapes honoured; one that may not
// span lines ends at the newline when unclosed.
std::size_t Scanner::past_quoted(std::size_t k, bool multiline) const {
  const char q = s_[k];
  for (std::size_t j = k + 1; j < s_.size(); ++j) {
    const char c = s_[j];
    if (c == '\\') {
      ++j;
    } else if (c == q) {
      return j + 1;
    } else if (c == '\n' && !multiline) {
      return j;
    }
  }
  return s_.size();
}

std::size_t Scanner::past_text_block(std::size_t k) const {
  for (std::size_t j = k + 3; j < s_.size(); ++j) {
    if (s_[j] == '\\') {
      ++j;
    } else if (s_[j] == '"' && at(j + 1) == '"' && at(j + 2) == '"') {
      return j + 3;
    }
  }
  return s_.size();
}

// R"delim( ... )delim", with `k` at the quote; `k` when it is not one.
std::size_t Scanner::past_cpp_raw(std::size_t k) const {
  const std::size_t open = s_.find('(', k);
  if (open == npos || open - k > 17) return k;
  std::string close = ")";
  close.append(s_.substr(k + 1, open - k - 1));
  close += '"';
  const std::size_t end = s_.find(close, open);
  return end == npos ? s_.size() : end + close.size();
}

// r"...", r#"..."#, br"...", cr#"..."#, with `k` at the prefix; `k` when
// it is not one.
std::size_t Scanner::past_rust_raw(std::size_t k) const {
  std::size_t j = k;
  if (s_[j] == 'b' || s_[j] == 'c') ++j;
  if (at(j) != 'r') return k;
  ++j;
  std::size_t hashes = 0;
  while (at(j) == '#') ++hashes, ++j;
  if (at(j) != '"') return k;
  std::string close = "\"";
  close.append(hashes, '#');
  const std::size_t end = s_.find(close, j + 1);
  return end == npos ? s_.size() : end + close.size();
}

// 'a', '\n', '\u{1F600}' are characters; 'a alone is a lifetime (`k`).
std::size_t Scanner::past_rust_quote(std::size_t k) const {
  if (at(k + 1) == '\\') return past_quoted(k, false);
  std::size_t j = k + 2;
  while (j < s_.size() && (static_cast<unsigned char>(s_[j]) & 0xC0) == 0x80)
    ++j;
  return at(j) == '\'' ? j + 1 : k;
}

// `...${ code }...`: the code's braces and literals are followed.
std::size_t Scanner::past_template(std::size_t k) {
  if (template_depth_ >= kTemplateDepthMax) {
    exhausted_ = true;
    return s_.size();
  }
  for (std::size_t j = k + 1; j < s_.size(); ++j) {
    const char c = s_[j];
    if (c == '\\') {
      ++j;
    } else if (c == '`') {
      return j + 1;
    } else if (c == '$' && at(j + 1) == '{') {
      ++template_depth_;
      const std::size_t close = close_of(j + 1, nullptr);
      --template_depth_;
      if (close == npos) return s_.size();
      j = close;
    }
  }
  exhausted_ = true;
  return s_.size();
}

bool Scanner::regex_allowed() const {
  if (prev_ == 'a') return regex_keyword(prev_word_);
  if (prev_ == '\0') return true;
  return std::strchr("(,=:[!&|?{};+-*%<>~^", prev_) != nullptr;
}

// /re/flags from `k`, or `k` when no closing `/` comes on the line.
std::size_t Scanner::past_regex(std::size_t k) {
  if (k < no_regex_before_) return k;
  bool in_class = false;
  const std::size_t end = std::min(s_.size(), k + kRegexBytesMax);
  for (std::size_t j = k + 1; j < end; ++j) {
    const char c = s_[j];
    if (c == '\n') break;
    if (c == '\\') {
      ++j;
    } else if (c == '[') {
      in_class = true;
    } else if (c == ']') {
      in_class = false;
    } else if (c == '/' && !in_class) {
      ++j;
      while (j < s_.size() && ident_char(s_[j])) ++j;
      return j;
    }
  }
  // Every `/` up to where this scan stopped would stop there too.
  no_regex_before_ = end;
  const std::size_t nl = s_.find('\n', k);
  if (nl != npos && nl < end) no_regex_before_ = nl;
  return k;
}

// The `}` matching the `{` at `open`, or npos. With `defines`, the
// #define directives met on the way, with the comment lines above each
// (its doc) and the newline that ends it.
std::size_t Scanner::close_of(std::size_t open, std::vector<Kept>* defines) {
  prev_ = '{';
  std::size_t depth = 1;
  for (std::size_t k = open + 1; k < s_.size();) {
    const std::size_t past = past_directive(k);
    if (past != k) {
      if (defines != nullptr && is_define(k)) {
        std::size_t line = k;
        while (line > open + 1 && is_blank(s_[line - 1])) --line;
        defines->push_back(
            {comments_above(line, open + 1), std::min(past + 1, s_.size())});
      }
      k = past;
      continue;
    }
    const char c = s_[k];
    if (c == '{') ++depth;
    if (c == '}' && --depth == 0) {
      prev_ = '}';
      return k;
    }
    k = step(k);
  }
  exhausted_ = true;
  return npos;
}

// Where the comment lines right above the line starting at `line` begin
// (at most 32 lines up, never before `floor`).
std::size_t Scanner::comments_above(std::size_t line, std::size_t floor) const {
  for (int lines = 0; lines < 32 && line > floor; ++lines) {
    const std::size_t nl = s_.rfind('\n', line - 2);
    const std::size_t above = nl == npos || nl + 1 < floor ? floor : nl + 1;
    if (line < above + 2) break;
    std::size_t k = above;
    while (k < line - 1 && is_blank(s_[k])) ++k;
    const std::string_view text = s_.substr(k, line - 1 - k);
    const bool comment = text.starts_with("//") || text.starts_with("/*") ||
                         text == "*" || text.starts_with("* ") ||
                         text.starts_with("*/");
    if (!comment) break;
    line = above;
  }
  return line;
}

// The inside of {open, close}, less the parts kept (each past the end of
// the previous: directives follow one another).
void Scanner::add_spans(std::size_t open, std::size_t close,
                        const std::vector<Kept>& defines) {
  std::size_t begin = open + 1;
  for (const Kept& d : defines) {
    if (d.begin < begin) {
      begin = std::max(begin, std::min(d.end, close));
      continue;
    }
    out_.add(begin, d.begin);
    begin = std::min(d.end, close);
  }
  out_.add(begin, close);
}

std::vector<SkippedSpan> Scanner::run() {
  // What the statement before a `{` said: whether its inside is top level.
  bool namespace_word = false, extern_word = false, string = false;
  bool paren = false, mod_word = false, fn_word = false;
  const auto new_statement = [&] {
    namespace_word = extern_word = string = paren = mod_word = fn_word = false;
  };
  std::size_t kept = 0;  // kept braces open
  std::vector<Kept> defines;
  for (std::size_t k = 0; k < s_.size();) {
    const std::size_t past = past_directive(k);
    if (past != k) {
      k = past;
      continue;
    }
    const char c = s_[k];
    if (c == '{') {
      const bool keep =
          (r_.keeps_namespaces &&
           (namespace_word || (extern_word && string && !paren))) ||
          (r_.keeps_mods && (mod_word || extern_word) && !fn_word) ||
          // `const { a, b: c } = ...` binds a and c at top level.
          (r_.js && prev_ == 'a' &&
           (prev_word_ == "const" || prev_word_ == "let" ||
            prev_word_ == "var"));
      new_statement();
      prev_ = '{';
      if (keep) {
        ++kept, ++k;
        continue;
      }
      defines.clear();
      const std::size_t close = close_of(k, r_.directives ? &defines : nullptr);
      if (close == npos) break;  // read the rest whole
      add_spans(k, close, defines);
      if (out_.size() >= skipped_spans_max) break;
      k = close + 1;
      continue;
    }
    if (c == '}' || c == ';') {
      if (c == '}' && kept > 0) --kept;
      new_statement();
    }
    if (c == '(') paren = true;
    if (c == '"') string = true;
    const std::size_t next = step(k);
    if (exhausted_) break;
    if (prev_ == 'a' && prev_word_.data() == s_.data() + k) {
      const std::string_view w = prev_word_;
      // `namespace x {` or `namespace {`, not a C parameter named so.
      if (w == "namespace") {
        std::size_t j = next;
        while (j < s_.size() && (is_blank(s_[j]) || s_[j] == '\n')) ++j;
        namespace_word = j < s_.size() && (ident_char(s_[j]) || s_[j] == '{');
      }
      if (w == "extern") extern_word = true;
      if (w == "mod") mod_word = true;
      if (w == "fn") fn_word = true;
    }
    k = next;
  }
  return out_.take();
}

// Python: the bodies of `def` and `class` after their first statement
// (a docstring, when there is one), up to the first line indented no
// deeper than the header. A body whose first statement opens a block
// (`class A:\n    def f(self):`) is read; the defs in it are looked at in
// turn. Logical lines are followed through brackets, backslashes and
// strings (triple-quoted ones span lines at any indentation).
class PythonScanner {
 public:
  explicit PythonScanner(std::string_view s) : s_(s), out_(s) {}

  std::vector<SkippedSpan> run() {
    // The innermost header whose body is being skipped, by its indent.
    bool skipping = false;
    std::size_t owner_indent = 0, skip_begin = 0, code_end = 0;
    // A header seen: its body's first statement is the next line.
    bool header = false;
    std::size_t header_indent = 0;
    for (std::size_t k = 0; k < s_.size();) {
      std::size_t indent = 0;
      while (k + indent < s_.size() &&
             (s_[k + indent] == ' ' || s_[k + indent] == '\t'))
        ++indent;
      const std::size_t first = k + indent;
      if (first >= s_.size()) break;
      if (s_[first] == '\n' || s_[first] == '\r' || s_[first] == '#') {
        k = line_end(first);  // blank or comment: ends nothing
        continue;
      }
      if (skipping) {
        if (indent > owner_indent) {
          k = logical_end(first).end;
          code_end = k;
          continue;
        }
        // Blank and comment lines after the body's last line are read:
        // a comment there documents what follows.
        out_.add(skip_begin, code_end);
        if (out_.size() >= skipped_spans_max) return out_.take();
        skipping = false;
      }
      const Logical line = logical_end(first);
      if (header && indent > header_indent && !line.opens_block) {
        // The first statement is read; the rest of the body is not.
        skipping = true;
        owner_indent = header_indent;
        skip_begin = code_end = line.end;
        header = false;
      } else {
        header = line.opens_block && line.def_or_class;
        header_indent = indent;
      }
      k = line.end;
    }
    if (skipping) out_.add(skip_begin, code_end);
    return out_.take();
  }

 private:
  struct Logical {
    std::size_t end = 0;        // past its newline
    bool opens_block = false;   // ends with `:` (or is a decorator)
    bool def_or_class = false;  // starts with def, async def or class
  };

  std::size_t line_end(std::size_t k) const {
    const std::size_t nl = s_.find('\n', k);
    return nl == npos ? s_.size() : nl + 1;
  }

  // The logical line that starts at `k` (its first non-blank byte).
  Logical logical_end(std::size_t k) const {
    Logical out;
    const std::string_view head = s_.substr(k, 10);
    out.def_or_class = head.starts_with("def ") ||
                       head.starts_with("async def ") ||
                       head.starts_with("class ");
    int depth = 0;
    char last = '\0';  // the last significant byte
    std::size_t j = k;
    while (j < s_.size()) {
      const char c = s_[j];
      if (c == '#') {
        j = s_.find('\n', j);
        if (j == npos) j = s_.size();
        continue;
      }
      if (c == '"' || c == '\'') {
        j = past_string(j);
        last = '"';
        continue;
      }
      if (c == '\\' && j + 1 < s_.size() && s_[j + 1] == '\n') {
        j += 2;
        continue;
      }
      if (c == '\n') {
        if (depth <= 0) {
          ++j;
          break;
        }
      } else if (c == '(' || c == '[' || c == '{') {
        ++depth;
      } else if (c == ')' || c == ']' || c == '}') {
        --depth;
      }
      if (!is_blank(c) && c != '\n') last = c;
      ++j;
    }
    out.end = j;
    // A decorator leads a definition, which must stay whole.
    out.opens_block = last == ':' || s_[k] == '@';
    return out;
  }

  std::size_t past_string(std::size_t k) const {
    const char q = s_[k];
    const bool triple = k + 2 < s_.size() && s_[k + 1] == q && s_[k + 2] == q;
    for (std::size_t j = k + (triple ? 3 : 1); j < s_.size(); ++j) {
      const char c = s_[j];
      if (c == '\\') {
        ++j;
      } else if (c == q && (!triple || (j + 2 < s_.size() && s_[j + 1] == q &&
                                        s_[j + 2] == q))) {
        return j + (triple ? 3 : 1);
      } else if (c == '\n' && !triple) {
        return j;
      }
    }
    return s_.size();
  }

  std::string_view s_;
  Spans out_;
};

}  // namespace

std::vector<SkippedSpan> skipped_bodies(std::string_view text,
                                        Language language) {
  if (text.size() >= std::numeric_limits<std::uint32_t>::max()) return {};
  if (language == Language::python) return PythonScanner(text).run();
  const Rules rules = rules_for(language);
  if (!rules.directives && !rules.js && !rules.rust && !rules.go_raw_strings &&
      !rules.text_blocks) {
    return {};
  }
  return Scanner(text, rules).run();
}

}  // namespace slurp::engine
