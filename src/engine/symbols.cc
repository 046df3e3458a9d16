#include "src/engine/symbols.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "src/engine/comment_text.h"
#include "src/engine/extraction_cache.h"
#include "src/engine/tree_symbols.h"

namespace slurp::engine {
namespace {

// ---------------------------------------------------------------- lexer --

enum class Tok : std::uint8_t { ident, number, punct, string, directive };

// 32 bytes: a tree of headers makes millions of these, and 40 cost more
// in stores than the extractors saved.
struct Token {
  std::string_view text;  // strings keep their quotes
  std::uint32_t line;     // saturates past 2^32 - 1 lines
  std::uint32_t col;
  Tok kind;
  bool first_on_line;
};

struct Comment {
  std::string_view text;
  std::uint64_t line_first;
  std::uint64_t line_last;
};

struct LexRules {
  bool slash_comments = false;  // // and /* */
  bool hash_comments = false;   // # to end of line
  bool preprocessor = false;    // C: # at line start is a directive
  bool single_quote_strings = true;
  bool triple_quotes = false;     // Python
  bool backtick_strings = false;  // Go raw strings, JS templates
  bool rust = false;   // nested block comments, lifetimes, raw strings
  bool shell = false;  // # only at word start
};

struct Lexed {
  std::vector<Token> tokens;
  std::vector<Comment> comments;
};

// Byte classes as tables: the lexer asks for every byte of a file, and a
// load beat the chains of comparisons.
enum : std::uint8_t { kIdentStart = 1, kDigit = 2 };
constexpr std::array<std::uint8_t, 256> kByteClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = kIdentStart;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = kIdentStart;
  for (int c = 0x80; c <= 0xff; ++c)
    t[static_cast<std::size_t>(c)] = kIdentStart;
  t['_'] = t['$'] = kIdentStart;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = kDigit;
  return t;
}();

bool is_ident_start(char c) {
  return kByteClass[static_cast<unsigned char>(c)] == kIdentStart;
}
bool is_digit(char c) {
  return kByteClass[static_cast<unsigned char>(c)] == kDigit;
}
bool is_ident_char(char c) {
  return kByteClass[static_cast<unsigned char>(c)] != 0;
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

enum : std::uint8_t { kNotBlank = 0, kSpace = 1, kNewline = 2 };
constexpr std::array<std::uint8_t, 256> kBlankClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (const char c : {' ', '\t', '\r', '\f', '\v'}) {
    t[static_cast<unsigned char>(c)] = kSpace;
  }
  t['\n'] = kNewline;
  return t;
}();

class Lexer {
 public:
  Lexer(std::string_view src, const LexRules& rules) : s_(src), rules_(rules) {}

  Lexed run() {
    // About one token per 6 bytes of source; saves most regrowth. Capped
    // so a huge file of comments does not reserve memory it never uses.
    out_.tokens.reserve(std::min<std::size_t>(s_.size() / 6, 1u << 18));
    while (i_ < s_.size()) {
      skip_blanks();
      if (i_ < s_.size()) step();
    }
    return std::move(out_);
  }

 private:
  char at(std::size_t k) const { return k < s_.size() ? s_[k] : '\0'; }

  // Whitespace runs are most of the bytes between tokens: skipped here
  // without a call per byte, one table load per byte.
  void skip_blanks() {
    for (; i_ < s_.size(); ++i_) {
      const std::uint8_t blank =
          kBlankClass[static_cast<unsigned char>(s_[i_])];
      if (blank == kNotBlank) return;
      if (blank == kNewline) {
        ++line_;
        line_start_ = i_ + 1;
        line_has_token_ = false;
      }
    }
  }

  // Advances to `end`, counting newlines on the way (memchr finds them:
  // comments and strings span many bytes and few lines).
  void advance_to(std::size_t end) {
    end = std::min(end, s_.size());
    while (i_ < end) {
      const void* nl = std::memchr(s_.data() + i_, '\n', end - i_);
      if (nl == nullptr) {
        i_ = end;
        return;
      }
      i_ = static_cast<std::size_t>(static_cast<const char*>(nl) - s_.data());
      ++line_;
      line_start_ = i_ + 1;
      line_has_token_ = false;
      ++i_;
    }
  }

  // Advances to `end` over bytes known to hold no newline (an identifier,
  // a number, a punctuator).
  void advance_within_line(std::size_t end) { i_ = std::min(end, s_.size()); }

  void emit(Tok kind, std::size_t begin) {
    const auto col = static_cast<std::uint32_t>(
        std::min<std::size_t>(begin - line_begin_of_token_, UINT32_MAX));
    const auto line = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(token_line_, UINT32_MAX));
    out_.tokens.push_back(Token{s_.substr(begin, i_ - begin), line, col, kind,
                                !token_line_had_token_});
  }

  void comment_until(std::size_t begin, std::size_t end) {
    const std::uint64_t first = line_;
    advance_to(end);
    out_.comments.push_back(
        Comment{s_.substr(begin, i_ - begin), first, line_});
  }

  void line_comment() {
    const std::size_t begin = i_;
    std::size_t end = s_.find('\n', i_);
    comment_until(begin, end == std::string_view::npos ? s_.size() : end);
  }

  void block_comment() {
    const std::size_t begin = i_;
    if (!rules_.rust) {
      const std::size_t end = s_.find("*/", i_ + 2);
      comment_until(begin, end == std::string_view::npos ? s_.size() : end + 2);
      return;
    }
    std::size_t k = i_ + 2;
    std::size_t depth = 1;
    while (k < s_.size() && depth > 0) {
      if (s_[k] == '/' && at(k + 1) == '*') {
        ++depth;
        k += 2;
      } else if (s_[k] == '*' && at(k + 1) == '/') {
        --depth;
        k += 2;
      } else {
        ++k;
      }
    }
    comment_until(begin, k);
  }

  // A quoted literal ending at the matching unescaped `quote`; single-line
  // literals also end at a newline so one stray quote cannot eat the file.
  std::size_t quoted_end(std::size_t k, char quote, bool multiline) const {
    while (k < s_.size()) {
      const char c = s_[k];
      if (c == '\\') {
        k += 2;
        continue;
      }
      if (c == quote) return k + 1;
      if (c == '\n' && !multiline) return k;
      ++k;
    }
    return s_.size();
  }

  std::size_t string_end(std::size_t begin) const;
  std::size_t directive_end() const;
  bool try_comment();
  bool raw_string(std::size_t begin, std::size_t quote);
  void word(std::size_t begin);
  bool rust_char(std::size_t begin);
  void step();

  std::string_view s_;
  LexRules rules_;
  Lexed out_;
  std::size_t i_ = 0;
  std::uint64_t line_ = 1;
  std::size_t line_start_ = 0;
  bool line_has_token_ = false;
  // Position facts of the token being emitted, taken at its start.
  std::uint64_t token_line_ = 1;
  std::size_t line_begin_of_token_ = 0;
  bool token_line_had_token_ = false;
};

std::size_t Lexer::string_end(std::size_t begin) const {
  const char q = s_[begin];
  if (rules_.triple_quotes && at(begin + 1) == q && at(begin + 2) == q) {
    std::size_t k = begin + 3;
    while (k < s_.size()) {
      if (s_[k] == '\\') {
        k += 2;
      } else if (s_[k] == q && at(k + 1) == q && at(k + 2) == q) {
        return k + 3;
      } else {
        ++k;
      }
    }
    return s_.size();
  }
  if (q == '`') {
    const std::size_t end = s_.find('`', begin + 1);
    return end == std::string_view::npos ? s_.size() : end + 1;
  }
  // Shell and Python strings may span lines; C-like ones may not.
  const bool multiline = rules_.shell;
  return quoted_end(begin + 1, q, multiline);
}

// Bytes that can end a directive or continue it on the next line.
constexpr std::array<bool, 256> kDirectiveStops = [] {
  std::array<bool, 256> t{};
  t['\n'] = t['\\'] = t['/'] = true;
  return t;
}();

std::size_t Lexer::directive_end() const {
  std::size_t k = i_;
  while (k < s_.size()) {
    if (!kDirectiveStops[static_cast<unsigned char>(s_[k])]) {
      ++k;
      continue;
    }
    if (s_[k] == '\n') break;
    if (s_[k] == '\\' &&
        (at(k + 1) == '\n' || (at(k + 1) == '\r' && at(k + 2) == '\n'))) {
      k += at(k + 1) == '\r' ? 3u : 2u;
      continue;
    }
    if (s_[k] == '/' && at(k + 1) == '/') break;
    if (s_[k] == '/' && at(k + 1) == '*') break;
    ++k;
  }
  return k;
}

bool Lexer::try_comment() {
  const char c = s_[i_];
  if (rules_.slash_comments && c == '/' && at(i_ + 1) == '/') {
    line_comment();
    return true;
  }
  if (rules_.slash_comments && c == '/' && at(i_ + 1) == '*') {
    block_comment();
    return true;
  }
  if (rules_.hash_comments && c == '#') {
    const bool word_start = i_ == 0 || is_space(s_[i_ - 1]) ||
                            s_[i_ - 1] == '\n' || s_[i_ - 1] == ';';
    if (!rules_.shell || word_start) {
      line_comment();
      return true;
    }
  }
  return false;
}

// Emits the raw string starting at begin (Rust r#"..."#, C++ R"d(...)d"),
// if there is one.
bool Lexer::raw_string(std::size_t begin, std::size_t quote) {
  if (rules_.rust) {
    const std::string hashes(quote - begin - 1, '#');
    const std::size_t end = s_.find("\"" + hashes, quote + 1);
    advance_to(end == std::string_view::npos ? s_.size()
                                             : end + 1 + hashes.size());
    emit(Tok::string, begin);
    return true;
  }
  const std::size_t open = s_.find('(', quote);
  if (open == std::string_view::npos || open - quote > 17) return false;
  const std::string close =
      ")" + std::string(s_.substr(quote + 1, open - quote - 1)) + "\"";
  const std::size_t end = s_.find(close, open);
  advance_to(end == std::string_view::npos ? s_.size() : end + close.size());
  emit(Tok::string, begin);
  return true;
}

// An identifier, or a prefixed string: Python r"" b'' f"", C++ u8"" L"".
void Lexer::word(std::size_t begin) {
  std::size_t k = begin + 1;
  while (k < s_.size() && is_ident_char(s_[k])) ++k;
  const bool prefix =
      (at(k) == '"' || (at(k) == '\'' && !rules_.rust)) && k - begin <= 3 &&
      s_.substr(begin, k - begin).find_first_not_of("rRbBfFuUL8") ==
          std::string_view::npos;
  if (prefix && rules_.preprocessor && s_[k - 1] == 'R' && at(k) == '"' &&
      raw_string(begin, k))
    return;
  if (prefix && (rules_.triple_quotes || rules_.preprocessor || rules_.rust)) {
    advance_to(string_end(k));
    emit(Tok::string, begin);
    return;
  }
  advance_within_line(k);
  emit(Tok::ident, begin);
}

// 'a' or '\n' is a char literal; 'a alone is a lifetime.
bool Lexer::rust_char(std::size_t begin) {
  std::size_t k = begin + 1;
  if (at(k) == '\\') {
    advance_to(quoted_end(k, '\'', false));
    emit(Tok::string, begin);
    return true;
  }
  ++k;
  while (k < s_.size() && (static_cast<unsigned char>(s_[k]) & 0xC0) == 0x80)
    ++k;
  if (at(k) != '\'') return false;
  advance_to(k + 1);
  emit(Tok::string, begin);
  return true;
}

void Lexer::step() {
  const char c = s_[i_];
  if (c == '\n' || is_space(c)) {
    advance_to(i_ + 1);
    return;
  }
  if (try_comment()) return;
  token_line_ = line_;
  line_begin_of_token_ = line_start_;
  token_line_had_token_ = line_has_token_;
  line_has_token_ = true;
  const std::size_t begin = i_;
  if (rules_.preprocessor && c == '#' && !token_line_had_token_) {
    advance_to(directive_end());
    emit(Tok::directive, begin);
    return;
  }
  if (rules_.rust && c == 'r' && (at(i_ + 1) == '#' || at(i_ + 1) == '"')) {
    std::size_t k = i_ + 1;
    while (at(k) == '#') ++k;
    if (at(k) == '"' && raw_string(begin, k)) return;
  }
  if (is_ident_start(c)) return word(begin);
  if (is_digit(c)) {
    std::size_t k = i_ + 1;
    while (k < s_.size() &&
           (is_ident_char(s_[k]) || s_[k] == '.' ||
            (s_[k] == '\'' && is_ident_char(at(k + 1)) && rules_.preprocessor)))
      ++k;
    advance_within_line(k);
    return emit(Tok::number, begin);
  }
  if (c == '"' || (c == '\'' && rules_.single_quote_strings) ||
      (c == '`' && rules_.backtick_strings)) {
    advance_to(string_end(i_));
    return emit(Tok::string, begin);
  }
  if (c == '\'' && rules_.rust && rust_char(begin)) return;
  // Two-character punctuators: "::", "=>", "->".
  const char n = at(i_ + 1);
  const bool pair =
      (c == ':' && n == ':') || ((c == '=' || c == '-') && n == '>');
  advance_within_line(i_ + (pair ? 2u : 1u));
  emit(Tok::punct, begin);
}

LexRules rules_for(Language language) {
  LexRules r;
  switch (language) {
    case Language::c:
    case Language::cpp:
      r.slash_comments = true;
      r.preprocessor = true;
      break;
    case Language::go:
      r.slash_comments = true;
      r.backtick_strings = true;
      break;
    case Language::javascript:
    case Language::typescript:
    case Language::java:
      r.slash_comments = true;
      r.backtick_strings = language != Language::java;
      break;
    case Language::rust:
      r.slash_comments = true;
      r.rust = true;
      r.single_quote_strings = false;
      break;
    case Language::python:
      r.hash_comments = true;
      r.triple_quotes = true;
      break;
    case Language::shell:
      r.hash_comments = true;
      r.shell = true;
      break;
    case Language::cmake:
    case Language::yaml:
    case Language::toml: r.hash_comments = true; break;
    default: break;
  }
  return r;
}

// --------------------------------------------------------------- output --

class Sink {
 public:
  explicit Sink(Extraction& out) : out_(out) {}

  void symbol(std::string_view name, std::string_view kind,
              std::uint64_t line) {
    if (name.empty() || out_.symbols.size() >= extract_symbols_max) return;
    out_.symbols.push_back(
        ExtractedSymbol{std::string(name), std::string(kind), line});
  }
  void symbol(const Token& name, std::string_view kind) {
    if (name.kind == Tok::ident) symbol(name.text, kind, name.line);
  }
  void import(std::string_view target) {
    if (target.empty() || out_.imports.size() >= extract_imports_max) return;
    out_.imports.emplace_back(target.substr(0, 1024));
  }

 private:
  Extraction& out_;
};

std::string_view unquote(std::string_view s) {
  while (!s.empty() && is_ident_char(s.front()) && s.front() != '"') {
    s.remove_prefix(1);  // string prefixes such as r, b, u8
  }
  std::size_t q = 0;
  while (q < s.size() && q < 3 && (s[q] == '"' || s[q] == '\'' || s[q] == '`'))
    ++q;
  if (q == 2 && s.size() == 2) return {};
  if (q == 2) q = 1;  // "" followed by text cannot happen; keep one quote
  s.remove_prefix(q);
  std::size_t e = 0;
  while (e < q && !s.empty() &&
         (s.back() == '"' || s.back() == '\'' || s.back() == '`')) {
    s.remove_suffix(1);
    ++e;
  }
  return s;
}

// Inlined with a literal `text`, the length is a constant: one-byte
// punctuators compare one byte and keywords a fixed-size memcmp the
// compiler expands, where string_view's == called memcmp every time.
inline bool is(const Token& t, std::string_view text) {
  if (t.text.size() != text.size()) return false;
  if (text.size() == 1) return t.text[0] == text[0];
  return std::memcmp(t.text.data(), text.data(), text.size()) == 0;
}

// Cursor over tokens with bounds-checked access.
struct Cursor {
  const std::vector<Token>& t;
  std::size_t i = 0;

  bool done() const { return i >= t.size(); }
  const Token& at(std::size_t k) const {
    static const Token none{"", 0, 0, Tok::punct, true};
    return k < t.size() ? t[k] : none;
  }
  const Token& cur() const { return at(i); }
  const Token& peek(std::size_t ahead = 1) const { return at(i + ahead); }
};

// Skips a balanced group opened at c.i (one of ( [ { <); leaves c.i past
// its close, or at the end on unbalanced input.
void skip_group(Cursor& c) {
  const std::string_view open = c.cur().text;
  const std::string_view close = open == "("   ? ")"
                                 : open == "[" ? "]"
                                 : open == "<" ? ">"
                                               : "}";
  std::size_t depth = 0;
  for (; !c.done(); ++c.i) {
    const Token& t = c.cur();
    if (t.kind != Tok::punct) continue;
    if (t.text == open) ++depth;
    if (t.text == close && --depth == 0) {
      ++c.i;
      return;
    }
  }
}

// ------------------------------------------------------------- C / C++ --

bool all_caps(std::string_view n) {
  bool letter = false;
  for (const char ch : n) {
    if (ch >= 'a' && ch <= 'z') return false;
    letter = letter || (ch >= 'A' && ch <= 'Z');
  }
  return letter;
}

bool c_not_a_name(std::string_view n) {
  static constexpr std::array<std::string_view, 24> words = {"if",
                                                             "while",
                                                             "for",
                                                             "switch",
                                                             "return",
                                                             "sizeof",
                                                             "static_assert",
                                                             "decltype",
                                                             "alignas",
                                                             "alignof",
                                                             "noexcept",
                                                             "typeof",
                                                             "__typeof__",
                                                             "throw",
                                                             "case",
                                                             "catch",
                                                             "new",
                                                             "delete",
                                                             "_Static_assert",
                                                             "__attribute__",
                                                             "__declspec",
                                                             "asm",
                                                             "__asm__",
                                                             "defined"};
  return std::find(words.begin(), words.end(), n) != words.end();
}

void c_directive(const Token& t, Sink& sink) {
  std::string_view s = t.text.substr(1);
  const auto trim_front = [&] {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  };
  trim_front();
  std::size_t k = 0;
  while (k < s.size() && is_ident_char(s[k])) ++k;
  const std::string_view word = s.substr(0, k);
  s.remove_prefix(k);
  trim_front();
  if (word == "include" || word == "import" || word == "include_next") {
    if (s.empty() || (s.front() != '<' && s.front() != '"')) return;
    const char close = s.front() == '<' ? '>' : '"';
    const std::size_t end = s.find(close, 1);
    if (end != std::string_view::npos) sink.import(s.substr(1, end - 1));
  } else if (word == "define") {
    std::size_t n = 0;
    while (n < s.size() && is_ident_char(s[n])) ++n;
    sink.symbol(s.substr(0, n), "macro", t.line);
  }
}

struct CStatement {
  std::vector<std::size_t> idx;  // token indices, directives left out
};

class CExtractor {
 public:
  CExtractor(const std::vector<Token>& tokens, Sink& sink)
      : c_{tokens}, sink_(sink) {}

  void run() { body(0); }

 private:
  static constexpr std::size_t nesting_max = 64;

  const Token& tok(std::size_t k) const { return c_.at(k); }

  void body(std::size_t nesting) {
    while (!c_.done()) {
      const Token& t = c_.cur();
      if (t.kind == Tok::directive) {
        c_directive(t, sink_);
        ++c_.i;
      } else if (is(t, ";")) {
        ++c_.i;
      } else if (is(t, "}")) {
        ++c_.i;
        if (nesting > 0) return;
      } else {
        statement(nesting);
      }
    }
  }

  // Collects one declaration up to ; or { at depth 0; brace initializers
  // after = are swallowed.
  CStatement collect() {
    CStatement st;
    std::size_t parens = 0;
    std::size_t template_angles = 0;  // inside template <...> parameters
    bool assigned = false;
    while (!c_.done()) {
      const Token& t = c_.cur();
      if (t.kind == Tok::directive) {
        c_directive(t, sink_);
        ++c_.i;
        continue;
      }
      if (t.kind == Tok::punct && parens == 0) {
        if (is(t, ";") || is(t, "}")) break;
        if (is(t, "{")) {
          if (!assigned) break;
          skip_group(c_);
          continue;
        }
        if (is(t, "=") && template_angles == 0 && assignment(c_.i))
          assigned = true;
      }
      if (is(t, "template") && is(c_.peek(), "<")) {
        st.idx.push_back(c_.i++);
        template_angles = 0;
        continue;
      }
      if (!st.idx.empty() && is(tok(st.idx.back()), "template") && is(t, "<"))
        template_angles = 1;
      else if (template_angles > 0 && is(t, "<"))
        ++template_angles;
      else if (template_angles > 0 && is(t, ">"))
        --template_angles;
      if (is(t, "(") || is(t, "[")) ++parens;
      if ((is(t, ")") || is(t, "]")) && parens > 0) --parens;
      st.idx.push_back(c_.i);
      ++c_.i;
    }
    return st;
  }

  // `=` as in `int x = {...}`, not in `operator==` or `a <= b`.
  bool assignment(std::size_t k) const {
    if (k == 0 || is(tok(k + 1), "=")) return false;
    const Token& p = tok(k - 1);
    if (is(p, "operator")) return false;
    return p.kind != Tok::punct || is(p, ")") || is(p, "]");
  }

  // Index into st.idx past `template <...>` and specifiers.
  std::size_t decl_start(const CStatement& st) const {
    std::size_t k = 0;
    while (k < st.idx.size()) {
      const Token& t = tok(st.idx[k]);
      if (is(t, "template") && k + 1 < st.idx.size() &&
          is(tok(st.idx[k + 1]), "<")) {
        std::size_t depth = 0;
        for (++k; k < st.idx.size(); ++k) {
          const Token& a = tok(st.idx[k]);
          if (is(a, "<")) ++depth;
          if (is(a, ">") && --depth == 0) break;
        }
        ++k;
      } else if (is(t, "export") || is(t, "inline") || is(t, "extern") ||
                 is(t, "static") || is(t, "constexpr") || is(t, "friend")) {
        ++k;
      } else {
        break;
      }
    }
    return k;
  }

  void statement(std::size_t nesting);
  void on_brace(const CStatement& st, std::size_t nesting);
  void on_semicolon(const CStatement& st);
  bool aggregate(const CStatement& st, std::size_t from, bool typedef_);
  std::string function_name(const CStatement& st, std::size_t from,
                            std::uint64_t& line) const;
  std::size_t qualify(const CStatement& st, std::size_t from,
                      std::size_t name_at, std::string& name) const;
  void typedef_names(const CStatement& st, std::size_t from, std::size_t to);
  const Token* parenthesized_name(const CStatement& st, std::size_t open,
                                  std::size_t to);

  Cursor c_;
  Sink& sink_;
};

void CExtractor::statement(std::size_t nesting) {
  const std::size_t before = c_.i;
  const CStatement st = collect();
  if (c_.done() || is(c_.cur(), "}") || is(c_.cur(), ";")) {
    on_semicolon(st);
    if (!c_.done() && is(c_.cur(), ";")) ++c_.i;
  } else {
    on_brace(st, nesting);
  }
  if (c_.i == before) ++c_.i;  // always make progress
}

// Prepends the qualifiers of the name at st.idx[name_at] (A::B::name,
// A::~A); returns the index of the first qualifier.
std::size_t CExtractor::qualify(const CStatement& st, std::size_t from,
                                std::size_t name_at, std::string& name) const {
  std::size_t q = name_at;
  while (q >= from + 2 &&
         (is(tok(st.idx[q - 1]), "::") || is(tok(st.idx[q - 1]), "~"))) {
    const bool tilde = is(tok(st.idx[q - 1]), "~");
    name.insert(0, tok(st.idx[q - 1]).text);
    --q;
    if (!tilde) {
      name.insert(0, tok(st.idx[q - 1]).text);
      --q;
    }
  }
  return q;
}

std::string CExtractor::function_name(const CStatement& st, std::size_t from,
                                      std::uint64_t& line) const {
  std::string fallback;
  std::uint64_t fallback_line = 0;
  std::size_t angle = 0;
  std::size_t bracket = 0;
  for (std::size_t k = from; k < st.idx.size(); ++k) {
    const Token& t = tok(st.idx[k]);
    if (is(t, "=") && angle == 0 && bracket == 0) break;
    if (is(t, "[")) ++bracket;
    if (is(t, "]") && bracket > 0) --bracket;
    if (is(t, "<") && k > from && tok(st.idx[k - 1]).kind == Tok::ident &&
        !is(tok(st.idx[k - 1]), "operator"))
      ++angle;
    if (is(t, ">") && angle > 0) --angle;
    if (angle > 0 || bracket > 0) continue;
    std::size_t name_at = k;
    std::string name;
    if (is(t, "operator")) {
      name = "operator";
      std::size_t j = k + 1;
      if (j + 1 < st.idx.size() && is(tok(st.idx[j]), "(") &&
          is(tok(st.idx[j + 1]), ")")) {
        name += "()";
        j += 2;
      }
      for (; j < st.idx.size() && !is(tok(st.idx[j]), "(") && j < k + 5; ++j)
        name += tok(st.idx[j]).text;
      if (j >= st.idx.size() || !is(tok(st.idx[j]), "(")) return {};
    } else if (is(t, "(")) {
      if (k == from) return {};
      std::size_t p_at = k - 1;
      if (is(tok(st.idx[p_at]),
             ">")) {  // f<4>(...): an explicit specialization
        std::size_t depth = 0;
        for (; p_at > from; --p_at) {
          if (is(tok(st.idx[p_at]), ">")) ++depth;
          if (is(tok(st.idx[p_at]), "<") && --depth == 0) break;
        }
        if (p_at == from) return {};
        --p_at;
      }
      const Token& p = tok(st.idx[p_at]);
      if (p.kind != Tok::ident || is(p, "operator")) return {};
      if (c_not_a_name(p.text) || all_caps(p.text)) {
        if (!c_not_a_name(p.text) && fallback.empty() && p_at > from) {
          fallback = std::string(p.text);
          fallback_line = p.line;
        }
        // Skip the group: attributes and export macros with arguments.
        std::size_t depth = 0;
        for (; k < st.idx.size(); ++k) {
          const Token& a = tok(st.idx[k]);
          if (is(a, "(")) ++depth;
          if (is(a, ")") && --depth == 0) break;
        }
        continue;
      }
      name_at = p_at;
      name = std::string(p.text);
    } else {
      continue;
    }
    const std::size_t q = qualify(st, from, name_at, name);
    const bool qualified = q != name_at;
    if (q == from && !qualified) return {};  // a call: no return type
    line = tok(st.idx[name_at]).line;
    return name;
  }
  line = fallback_line;
  return fallback.empty() || st.idx.size() - from < 2 ? std::string()
                                                      : fallback;
}

std::string_view aggregate_kind(std::string_view keyword) {
  if (keyword == "class") return "class";
  if (keyword == "struct") return "struct";
  if (keyword == "union") return "union";
  if (keyword == "enum") return "enum";
  return {};
}

// The keyword index of `struct X ...`, if it comes before any ( at depth 0.
std::size_t find_aggregate(const std::vector<Token>& t, const CStatement& st,
                           std::size_t from) {
  for (std::size_t k = from; k < st.idx.size(); ++k) {
    const Token& a = t[st.idx[k]];
    if (is(a, "(") || is(a, "=")) return st.idx.size();
    if (!aggregate_kind(a.text).empty()) return k;
  }
  return st.idx.size();
}

// Records the aggregate named in st (ending at `{`); false if st is not one.
bool CExtractor::aggregate(const CStatement& st, std::size_t from,
                           bool typedef_) {
  const std::size_t kw = find_aggregate(c_.t, st, from);
  if (kw == st.idx.size()) return false;
  const std::string_view kind = aggregate_kind(tok(st.idx[kw]).text);
  const Token* name = nullptr;
  std::size_t angle = 0;
  for (std::size_t k = kw + 1; k < st.idx.size(); ++k) {
    const Token& t = tok(st.idx[k]);
    if (is(t, "<")) ++angle;
    if (is(t, ">") && angle > 0) --angle;
    if (angle > 0) continue;
    if (is(t, ":")) break;
    if (is(t, "[") || is(t, "(")) {  // [[attributes]], __attribute__((x))
      std::size_t depth = 0;
      for (; k < st.idx.size(); ++k) {
        const Token& a = tok(st.idx[k]);
        if (is(a, "[") || is(a, "(")) ++depth;
        if ((is(a, "]") || is(a, ")")) && --depth == 0) break;
      }
      continue;
    }
    if (t.kind == Tok::ident && !is(t, "final") && !is(t, "class") &&
        !is(t, "struct") && !c_not_a_name(t.text))
      name = &t;
  }
  if (name != nullptr) sink_.symbol(*name, kind);
  skip_group(c_);  // the body: members are not top-level
  // Declarators after the body: `typedef struct {..} name, *pname;`.
  const std::size_t tail_begin = c_.i;
  while (!c_.done() && !is(c_.cur(), ";") && !is(c_.cur(), "}") &&
         !is(c_.cur(), "{") && c_.cur().kind != Tok::directive)
    ++c_.i;
  if (typedef_) {
    CStatement tail;
    for (std::size_t k = tail_begin; k < c_.i; ++k) tail.idx.push_back(k);
    typedef_names(tail, 0, tail.idx.size());
  }
  if (!c_.done() && is(c_.cur(), ";")) ++c_.i;
  return true;
}

// The name in `(name)`, `(MACRO *name)` or `(MACRO name)` at `open`,
// when a parameter list or array bound follows: a declarator's name, the
// words before it calling conventions (`APIENTRYP`, `CALLBACK`).
const Token* CExtractor::parenthesized_name(const CStatement& st,
                                            std::size_t open, std::size_t to) {
  const Token* name = nullptr;
  for (std::size_t k = open + 1; k < to && k < open + 8; ++k) {
    const Token& t = tok(st.idx[k]);
    if (is(t, ")")) {
      const bool follows = k + 1 < to && (is(tok(st.idx[k + 1]), "(") ||
                                          is(tok(st.idx[k + 1]), "["));
      return follows ? name : nullptr;
    }
    if (t.kind == Tok::ident) {
      name = &t;
    } else if (!is(t, "*") && !is(t, "^") && !is(t, "&")) {
      return nullptr;
    }
  }
  return nullptr;
}

// Names declared by a typedef: the last identifier of each declarator, or
// the one after `(*` in a function pointer.
void CExtractor::typedef_names(const CStatement& st, std::size_t from,
                               std::size_t to) {
  const Token* last = nullptr;
  std::size_t depth = 0;
  bool pointer_name = false;
  for (std::size_t k = from; k < to; ++k) {
    const Token& t = tok(st.idx[k]);
    if (is(t, "(") || is(t, "[")) {
      if (is(t, "(") && depth == 0 && k + 2 < to &&
          (is(tok(st.idx[k + 1]), "*") || is(tok(st.idx[k + 1]), "^") ||
           is(tok(st.idx[k + 1]), "&")) &&
          tok(st.idx[k + 2]).kind == Tok::ident) {
        last = &tok(st.idx[k + 2]);
        pointer_name = true;
      } else if (is(t, "(") && depth == 0 && !pointer_name) {
        // typedef void(fn_t)(int); typedef void (APIENTRYP fn_t)(int);
        if (const Token* name = parenthesized_name(st, k, to)) {
          last = name;
          pointer_name = true;
        }
      }
      ++depth;
      continue;
    }
    if ((is(t, ")") || is(t, "]")) && depth > 0) --depth;
    if (depth > 0) continue;
    if (is(t, ",")) {
      if (last != nullptr) sink_.symbol(*last, "type");
      last = nullptr;
      pointer_name = false;
    } else if (t.kind == Tok::ident && !pointer_name && !is(t, "const")) {
      last = &t;
    }
  }
  if (last != nullptr) sink_.symbol(*last, "type");
}

void CExtractor::on_semicolon(const CStatement& st) {
  const std::size_t from = decl_start(st);
  if (from >= st.idx.size()) return;
  const Token& first = tok(st.idx[from]);
  if (is(first, "typedef")) {
    typedef_names(st, from + 1, st.idx.size());
    return;
  }
  if (is(first, "using")) {
    if (from + 2 < st.idx.size() && is(tok(st.idx[from + 2]), "="))
      sink_.symbol(tok(st.idx[from + 1]), "type");
    return;
  }
  if (find_aggregate(c_.t, st, from) != st.idx.size()) return;
  std::uint64_t line = 0;
  const std::string name = function_name(st, from, line);
  if (!name.empty()) sink_.symbol(name, "function", line);
}

void CExtractor::on_brace(const CStatement& st, std::size_t nesting) {
  const std::size_t from = decl_start(st);
  const bool recurse_ok = nesting < nesting_max;
  const std::size_t n = st.idx.size();
  // extern "C" {  /  namespace a::b {  /  MACRO_NAMESPACE(x) {
  const bool linkage = n >= 2 && is(tok(st.idx[0]), "extern") &&
                       tok(st.idx[1]).kind == Tok::string && n == 2;
  const bool ns =
      from < n && (is(tok(st.idx[from]), "namespace") ||
                   (is(tok(st.idx[from]), "inline") && from + 1 < n &&
                    is(tok(st.idx[from + 1]), "namespace")));
  bool macro_ns = n >= 3 && all_caps(tok(st.idx[0]).text) &&
                  is(tok(st.idx[1]), "(") && is(tok(st.idx[n - 1]), ")");
  for (std::size_t k = 1, depth = 0; macro_ns && k + 1 < n; ++k) {
    if (is(tok(st.idx[k]), "(")) ++depth;
    if (is(tok(st.idx[k]), ")") && --depth == 0) macro_ns = false;
  }
  if (ns) {
    std::string name;
    std::uint64_t line = 0;
    for (std::size_t k = from + 1; k < n; ++k) {
      const Token& t = tok(st.idx[k]);
      if (t.kind != Tok::ident && !is(t, "::")) break;
      if (is(t, "inline")) continue;
      if (line == 0) line = t.line;
      name += t.text;
    }
    if (!name.empty()) sink_.symbol(name, "module", line);
  }
  if ((linkage || ns || macro_ns) && recurse_ok) {
    ++c_.i;
    body(nesting + 1);
    return;
  }
  const bool typedef_ = from < n && is(tok(st.idx[from]), "typedef");
  if (aggregate(st, typedef_ ? from + 1 : from, typedef_)) return;
  std::uint64_t line = 0;
  const std::string name = function_name(st, from, line);
  if (!name.empty()) sink_.symbol(name, "function", line);
  skip_group(c_);
  if (!c_.done() && is(c_.cur(), ";")) ++c_.i;
}

// --------------------------------------------------------------- Python --

void dotted_imports(const std::vector<Token>& t, std::size_t k, Sink& sink) {
  // import a.b as c, d
  std::string name;
  const std::uint64_t line = t[k].line;
  for (++k; k < t.size() && t[k].line == line; ++k) {
    const Token& a = t[k];
    if (is(a, ",") || is(a, ";")) {
      sink.import(name);
      name.clear();
      if (is(a, ";")) return;
    } else if (is(a, "as")) {
      sink.import(name);
      name.clear();
      ++k;
    } else if (a.kind == Tok::ident || is(a, ".")) {
      name += a.text;
    } else if (!is(a, "(") && !is(a, ")")) {
      break;
    }
  }
  sink.import(name);
}

void extract_python(const std::vector<Token>& t, Sink& sink) {
  struct Block {
    std::uint32_t col;
    bool def;
  };
  static constexpr std::size_t blocks_max = 256;
  static constexpr std::array<std::string_view, 11> compound = {
      "if",   "elif", "else",  "try",   "except", "finally",
      "with", "for",  "while", "match", "case"};
  std::vector<Block> blocks;
  std::size_t depth = 0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    const Token& a = t[k];
    const bool line_start = a.first_on_line && depth == 0;
    if (is(a, "(") || is(a, "[") || is(a, "{")) ++depth;
    if ((is(a, ")") || is(a, "]") || is(a, "}")) && depth > 0) --depth;
    if (!line_start || a.kind != Tok::ident) continue;
    while (!blocks.empty() && blocks.back().col >= a.col) blocks.pop_back();
    const bool top = std::none_of(blocks.begin(), blocks.end(),
                                  [](const Block& b) { return b.def; });
    // async def; Cython's cdef class and cpdef (.pyx/.pxd read as Python).
    const bool prefix = is(a, "async") || is(a, "cdef") || is(a, "cpdef");
    const std::size_t j = prefix ? k + 1 : k;
    if (top && k + 2 < t.size() && is(t[k + 1], "=") &&
        is(t[k + 2], "lambda")) {
      sink.symbol(a, "function");
    } else if (j < t.size() && (is(t[j], "def") || is(t[j], "class"))) {
      if (top && j + 1 < t.size())
        sink.symbol(t[j + 1], is(t[j], "def") ? "function" : "class");
      if (blocks.size() < blocks_max) blocks.push_back({a.col, true});
    } else if (std::find(compound.begin(), compound.end(), a.text) !=
               compound.end()) {
      if (blocks.size() < blocks_max) blocks.push_back({a.col, false});
    } else if (is(a, "import") || is(a, "cimport")) {
      dotted_imports(t, k, sink);
    } else if (is(a, "from")) {
      std::string name;
      for (std::size_t m = k + 1; m < t.size() && t[m].line == a.line &&
                                  !is(t[m], "import") && !is(t[m], "cimport");
           ++m)
        name += t[m].text;
      sink.import(name);
    }
  }
}

// ------------------------------------------------------------------- Go --

std::string_view go_type_kind(const std::vector<Token>& t, std::size_t k) {
  // k: the token after the type name; skips type parameters [T any].
  if (k < t.size() && is(t[k], "[")) {
    std::size_t depth = 0;
    for (; k < t.size(); ++k) {
      if (is(t[k], "[")) ++depth;
      if (is(t[k], "]") && --depth == 0) break;
    }
    ++k;
  }
  if (k < t.size() && is(t[k], "=")) ++k;
  if (k < t.size() && is(t[k], "struct")) return "struct";
  if (k < t.size() && is(t[k], "interface")) return "interface";
  return "type";
}

// The names a const or var spec declares, from t[k]: `a, b, c int`.
// `_` declares nothing.
void go_value_names(const std::vector<Token>& t, std::size_t k, Sink& sink) {
  for (; k < t.size() && t[k].kind == Tok::ident; k += 2) {
    if (!is(t[k], "_")) sink.symbol(t[k], "variable");
    if (k + 1 >= t.size() || !is(t[k + 1], ",")) return;
  }
}

// Whether a newline after `prev` ends a spec: Go's semicolon insertion
// rule. A line after `a +` or `f(x,` continues the value before it.
bool go_ends_statement(const Token& prev) {
  if (prev.kind != Tok::punct) return true;  // identifier, literal, keyword
  // `(` opens the group: its first spec follows. (++ and -- cannot end a
  // spec, which holds no statements.)
  return is(prev, ")") || is(prev, "]") || is(prev, "}") || is(prev, "(") ||
         is(prev, ";");
}

// A parenthesized group of specs: ( A = 1 \n B \n ) or ( "fmt" \n x "y" ).
std::size_t go_group(const std::vector<Token>& t, std::size_t k,
                     std::string_view keyword, Sink& sink) {
  std::size_t parens = 0;
  std::size_t braces = 0;
  for (; k < t.size(); ++k) {
    const Token& a = t[k];
    if (is(a, "(")) ++parens;
    if (is(a, ")") && --parens == 0) return k;
    if (is(a, "{")) ++braces;
    if (is(a, "}") && braces > 0) --braces;
    if (parens != 1 || braces != 0) continue;
    if (keyword == "import" && a.kind == Tok::string) {
      sink.import(unquote(a.text));
    } else if (!a.first_on_line || k == 0 || !go_ends_statement(t[k - 1])) {
      continue;
    } else if (keyword == "type" && a.kind == Tok::ident) {
      sink.symbol(a, go_type_kind(t, k + 1));
    } else if (keyword != "import") {
      go_value_names(t, k, sink);
    }
  }
  return k;
}

// Whether the `func` at t[k] starts a declaration, not a function type
// (`type HandlerFunc func(ResponseWriter, *Request)`, `var f func()`).
bool go_declares(const std::vector<Token>& t, std::size_t k) {
  return k == 0 || t[k].first_on_line || is(t[k - 1], ";");
}

// `func Name(` or `func Name[T any](`, `func (r Recv) Name(`.
void go_func(const std::vector<Token>& t, std::size_t k, Sink& sink) {
  Cursor c{t, k + 1};
  const bool method = is(c.cur(), "(");
  if (method) skip_group(c);
  const Token& name = c.cur();
  if (name.kind != Tok::ident || is(name, "_")) return;
  if (!is(c.peek(), "(") && !is(c.peek(), "[")) return;
  sink.symbol(name, method ? "method" : "function");
}

void extract_go(const std::vector<Token>& t, Sink& sink) {
  std::size_t depth = 0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    const Token& a = t[k];
    if (is(a, "{") || is(a, "(") || is(a, "[")) ++depth;
    if ((is(a, "}") || is(a, ")") || is(a, "]")) && depth > 0) --depth;
    if (depth != 0 || a.kind != Tok::ident || k + 1 >= t.size()) continue;
    const Token& next = t[k + 1];
    const bool decl =
        is(a, "import") || is(a, "type") || is(a, "const") || is(a, "var");
    if (decl && is(next, "(")) {
      k = go_group(t, k + 1, a.text, sink);
    } else if (is(a, "import")) {
      std::size_t m = k + 1;
      if (m < t.size() && t[m].kind != Tok::string) ++m;  // alias
      if (m < t.size() && t[m].kind == Tok::string)
        sink.import(unquote(t[m].text));
    } else if (is(a, "type")) {
      sink.symbol(next, go_type_kind(t, k + 2));
    } else if (is(a, "const") || is(a, "var")) {
      go_value_names(t, k + 1, sink);
    } else if (is(a, "func") && go_declares(t, k)) {
      go_func(t, k, sink);
    }
  }
}

// ---------------------------------------------------------- JS / TS -----

std::string_view js_binding_kind(const std::vector<Token>& t, std::size_t k) {
  // k: the token after `const name`; a function if the value is one.
  const std::size_t end = std::min(t.size(), k + 32);
  for (; k < end && !is(t[k], "="); ++k) {
    if (is(t[k], ";")) return "variable";
  }
  if (k + 1 >= end) return "variable";
  const Token& v = t[k + 1];
  if (is(v, "function") || is(v, "async")) return "function";
  if (v.kind == Tok::ident && k + 2 < t.size() && is(t[k + 2], "=>"))
    return "function";
  if (is(v, "(")) {
    Cursor c{t, k + 1};
    skip_group(c);
    if (!c.done() && (is(c.cur(), "=>") || is(c.cur(), ":"))) return "function";
  }
  return "variable";
}

void js_imports(const std::vector<Token>& t, std::size_t k, Sink& sink) {
  const Token& a = t[k];
  const Token& n1 = k + 1 < t.size() ? t[k + 1] : a;
  const Token& n2 = k + 2 < t.size() ? t[k + 2] : a;
  if ((is(a, "from") || is(a, "import")) && n1.kind == Tok::string) {
    sink.import(unquote(n1.text));
  } else if ((is(a, "require") || is(a, "import")) && is(n1, "(") &&
             n2.kind == Tok::string) {
    sink.import(unquote(n2.text));
  }
}

void extract_js(const std::vector<Token>& t, bool typescript, Sink& sink) {
  static constexpr std::array<std::string_view, 6> modifiers = {
      "export", "default", "async", "declare", "abstract", "const"};
  std::size_t depth = 0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    const Token& a = t[k];
    js_imports(t, k, sink);
    if (is(a, "{") || is(a, "(") || is(a, "[")) ++depth;
    if ((is(a, "}") || is(a, ")") || is(a, "]")) && depth > 0) --depth;
    if (depth != 0 || a.kind != Tok::ident || k + 1 >= t.size()) continue;
    const Token* prev = k > 0 ? &t[k - 1] : nullptr;
    const bool start = prev == nullptr || a.first_on_line || is(*prev, ";") ||
                       is(*prev, "}") ||
                       std::find(modifiers.begin(), modifiers.end(),
                                 prev->text) != modifiers.end();
    if (!start) continue;
    std::size_t n = k + 1;
    if (is(a, "function")) {
      if (is(t[n], "*")) ++n;
      if (n < t.size()) sink.symbol(t[n], "function");
    } else if (is(a, "class")) {
      sink.symbol(t[n], "class");
    } else if (is(a, "const") || is(a, "let") || is(a, "var")) {
      if (t[n].kind == Tok::ident && !is(t[n], "enum"))
        sink.symbol(t[n], js_binding_kind(t, n + 1));
    } else if (typescript && is(a, "interface")) {
      sink.symbol(t[n], "interface");
    } else if (typescript && is(a, "enum")) {
      sink.symbol(t[n], "enum");
    } else if (typescript && is(a, "type") && t[n].kind == Tok::ident &&
               n + 1 < t.size() && (is(t[n + 1], "=") || is(t[n + 1], "<"))) {
      sink.symbol(t[n], "type");
    } else if (typescript && (is(a, "namespace") || is(a, "module")) &&
               t[n].kind == Tok::ident) {
      sink.symbol(t[n], "module");
    }
  }
}

// ----------------------------------------------------------------- Rust --

std::string_view rust_item_kind(std::string_view keyword) {
  if (keyword == "fn") return "function";
  if (keyword == "struct") return "struct";
  if (keyword == "enum") return "enum";
  if (keyword == "union") return "union";
  if (keyword == "trait") return "trait";
  if (keyword == "type") return "type";
  if (keyword == "mod") return "module";
  if (keyword == "const" || keyword == "static") return "variable";
  return {};
}

void extract_rust(const std::vector<Token>& t, Sink& sink) {
  // Braces that are `mod x {` keep their contents top-level.
  std::vector<bool> transparent;
  static constexpr std::size_t nesting_max = 256;
  bool next_brace_is_mod = false;
  std::size_t opaque = 0;  // opaque braces open, beyond the stack
  for (std::size_t k = 0; k < t.size(); ++k) {
    const Token& a = t[k];
    if (is(a, "{")) {
      if (opaque > 0 || !next_brace_is_mod || transparent.size() >= nesting_max)
        ++opaque;
      else
        transparent.push_back(true);
      next_brace_is_mod = false;
      continue;
    }
    if (is(a, "}")) {
      if (opaque > 0)
        --opaque;
      else if (!transparent.empty())
        transparent.pop_back();
      continue;
    }
    if (is(a, ";")) next_brace_is_mod = false;
    if (opaque > 0 || a.kind != Tok::ident || k + 1 >= t.size()) continue;
    if (k > 0 && (is(t[k - 1], "::") || is(t[k - 1], ".") ||
                  is(t[k - 1], "*") || is(t[k - 1], "&")))
      continue;
    const Token& n = t[k + 1];
    if (is(a, "use")) {
      std::string path;
      for (std::size_t m = k + 1;
           m < t.size() && !is(t[m], ";") && path.size() < 512; ++m)
        path += t[m].text;
      sink.import(path);
    } else if (is(a, "macro_rules") && is(n, "!") && k + 2 < t.size()) {
      sink.symbol(t[k + 2], "macro");
    } else if (const std::string_view kind = rust_item_kind(a.text);
               !kind.empty() && n.kind == Tok::ident) {
      if (kind == "variable" && is(n, "mut") && k + 2 < t.size()) {
        sink.symbol(t[k + 2], kind);
      } else if (kind == "variable" && (is(n, "fn") || is(n, "unsafe"))) {
        continue;  // const fn: the fn keyword follows
      } else if (kind == "union" &&
                 !(k + 2 < t.size() &&
                   (is(t[k + 2], "{") || is(t[k + 2], "<")))) {
        continue;
      } else {
        sink.symbol(n, kind);
        next_brace_is_mod = kind == "module";
      }
    }
  }
}

// ----------------------------------------------------------------- Java --

void extract_java(const std::vector<Token>& t, Sink& sink) {
  std::size_t depth = 0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    const Token& a = t[k];
    if (is(a, "{")) ++depth;
    if (is(a, "}") && depth > 0) --depth;
    if (depth != 0 || a.kind != Tok::ident || k + 1 >= t.size()) continue;
    const Token& n = t[k + 1];
    if (k > 0 && is(t[k - 1], ".")) continue;
    if (is(a, "import")) {
      std::string path;
      for (std::size_t m = is(n, "static") ? k + 2 : k + 1;
           m < t.size() && !is(t[m], ";") && path.size() < 512; ++m)
        path += t[m].text;
      sink.import(path);
    } else if (is(a, "class") || is(a, "enum")) {
      sink.symbol(n, a.text);
    } else if (is(a, "interface")) {
      sink.symbol(n, "interface");
    } else if (is(a, "record") && n.kind == Tok::ident && k + 2 < t.size() &&
               (is(t[k + 2], "(") || is(t[k + 2], "<"))) {
      sink.symbol(n, "class");
    }
  }
}

// ---------------------------------------------------------- Shell, CMake --

void extract_shell(const std::vector<Token>& t, Sink& sink) {
  std::size_t depth = 0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    const Token& a = t[k];
    if (is(a, "{")) ++depth;
    if (is(a, "}") && depth > 0) --depth;
    if (k + 1 >= t.size()) continue;
    const Token& n = t[k + 1];
    const bool command_start =
        a.first_on_line || (k > 0 && (is(t[k - 1], ";") || is(t[k - 1], "&") ||
                                      is(t[k - 1], "|")));
    if (!command_start) continue;
    if (is(a, "function") && n.kind == Tok::ident && depth == 0) {
      sink.symbol(n, "function");
    } else if (a.kind == Tok::ident && is(n, "(") && k + 2 < t.size() &&
               is(t[k + 2], ")") && depth == 0) {
      sink.symbol(a, "function");
    } else if ((is(a, "source") || is(a, ".")) && !n.first_on_line) {
      // The path is the rest of the word: tokens touching each other.
      std::string path;
      for (std::size_t m = k + 1; m < t.size() && t[m].line == n.line; ++m) {
        if (m > k + 1 && t[m].col != t[m - 1].col + t[m - 1].text.size()) break;
        if (is(t[m], ";")) break;
        path += t[m].kind == Tok::string ? unquote(t[m].text) : t[m].text;
      }
      sink.import(path);
    }
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    const auto lower = [](char ch) {
      return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
    };
    if (lower(a[k]) != lower(b[k])) return false;
  }
  return true;
}

void extract_cmake(const std::vector<Token>& t, Sink& sink) {
  for (std::size_t k = 0; k + 2 < t.size(); ++k) {
    const Token& a = t[k];
    if (a.kind != Tok::ident || !is(t[k + 1], "(")) continue;
    const Token& arg = t[k + 2];
    if (iequals(a.text, "function") || iequals(a.text, "macro")) {
      sink.symbol(arg, iequals(a.text, "macro") ? "macro" : "function");
    } else if (iequals(a.text, "include") ||
               iequals(a.text, "add_subdirectory")) {
      std::string path;
      for (std::size_t m = k + 2; m < t.size() && !is(t[m], ")") &&
                                  t[m].line == arg.line && path.size() < 512;
           ++m) {
        if (m > k + 2 && t[m].col != t[m - 1].col + t[m - 1].text.size()) break;
        path += t[m].kind == Tok::string ? unquote(t[m].text) : t[m].text;
      }
      sink.import(path);
    }
  }
}

// ------------------------------------------------------- summary, todos --

bool boilerplate(std::string_view prose) {
  for (const std::string_view w :
       {"Copyright", "copyright", "SPDX-License", "License", "-*-", "go:build",
        "+build", "eslint", "clang-format"}) {
    if (prose.find(w) != std::string_view::npos) return true;
  }
  return false;
}

// A PEP 263 encoding declaration: `# -*- coding: utf-8 -*-` or
// `# coding=latin-1` on line 1 or 2.
bool coding_line(const Comment& c) {
  if (c.line_first > 2 || !c.text.starts_with("#")) return false;
  const std::size_t at = c.text.find("coding");
  return at != std::string_view::npos && at + 6 < c.text.size() &&
         (c.text[at + 6] == ':' || c.text[at + 6] == '=');
}

// The first comment block before any code that is not a licence header.
std::string leading_comment_summary(const Lexed& lx) {
  const std::uint64_t code_line =
      lx.tokens.empty() ? UINT64_MAX : lx.tokens.front().line;
  std::size_t k = 0;
  while (k < lx.comments.size() && lx.comments[k].line_last < code_line) {
    // Consecutive line comments form one block; a /* */ stands alone.
    const auto line_comment = [&](std::size_t m) {
      return !lx.comments[m].text.starts_with("/*");
    };
    std::size_t end = k + 1;
    while (end < lx.comments.size() && line_comment(end) &&
           line_comment(end - 1) &&
           lx.comments[end].line_first == lx.comments[end - 1].line_last + 1 &&
           lx.comments[end].line_last < code_line)
      ++end;
    std::string text;
    for (std::size_t m = k; m < end && text.size() < 4096; ++m) {
      if (lx.comments[m].text.starts_with("#!") && m == 0) continue;
      if (coding_line(lx.comments[m])) continue;
      text += lx.comments[m].text;
      text += '\n';
    }
    const std::string prose = comment_prose(text);
    if (!trim(prose).empty() && !boilerplate(prose))
      return first_sentence(prose);
    k = end;
  }
  return {};
}

std::string markdown_summary(std::string_view s) {
  std::string_view previous;
  for (std::size_t lines = 0; !s.empty() && lines < 1000; ++lines) {
    const std::size_t nl = s.find('\n');
    const std::string_view raw = s.substr(0, nl);
    const std::string_view line = trim(raw);
    s = nl == std::string_view::npos ? std::string_view() : s.substr(nl + 1);
    if (line.starts_with("#")) {
      std::string_view h = line;
      while (!h.empty() && h.front() == '#') h.remove_prefix(1);
      return bounded(trim(h), extract_text_bytes_max);
    }
    const bool underline =
        !line.empty() &&
        line.find_first_not_of(line.front() == '=' ? "=" : "-") ==
            std::string_view::npos;
    if (underline && (line.front() == '=' || line.front() == '-') &&
        !previous.empty())
      return bounded(previous, extract_text_bytes_max);
    previous = line;
  }
  return {};
}

constexpr std::array<bool, 256> kTodoStarts = [] {
  std::array<bool, 256> t{};
  t['T'] = t['F'] = t['X'] = true;
  return t;
}();

void collect_todos(const std::vector<Comment>& comments,
                   std::vector<std::string>& todos) {
  for (const Comment& c : comments) {
    const std::string_view text = c.text;
    for (std::size_t k = 0; k < text.size(); ++k) {
      if (todos.size() >= extract_todos_max) return;
      // Most comment bytes start no marker: skip to the next candidate.
      while (k < text.size() &&
             !kTodoStarts[static_cast<unsigned char>(text[k])])
        ++k;
      if (k == text.size()) break;
      std::size_t len = 0;
      for (const std::string_view w : {"TODO", "FIXME", "XXX"}) {
        if (text.substr(k).starts_with(w)) len = w.size();
      }
      if (len == 0 || (k > 0 && is_ident_char(text[k - 1])) ||
          (k + len < text.size() && is_ident_char(text[k + len])))
        continue;
      std::string_view rest = text.substr(k + len);
      rest = rest.substr(0, rest.find('\n'));
      if (rest.starts_with("("))
        rest.remove_prefix(std::min(rest.size(), rest.find(')') + 1));
      rest = trim(rest);
      while (!rest.empty() && (rest.front() == ':' || rest.front() == '-'))
        rest.remove_prefix(1);
      if (rest.ends_with("*/")) rest.remove_suffix(2);
      const std::string note = bounded(rest, extract_text_bytes_max);
      todos.push_back(note.empty() ? std::string(text.substr(k, len)) : note);
      k += len;
    }
  }
}

}  // namespace

namespace {

Extraction extract_uncached(Language language, std::string_view content,
                            std::string_view path) {
  Extraction out;
  if (language == Language::markdown) {
    out.doc_summary = markdown_summary(content);
    return out;
  }
  if (language == Language::unknown || language == Language::json) return out;
  const Lexed lx = Lexer(content, rules_for(language)).run();
  Sink sink(out);
  switch (language) {
    case Language::c:
    case Language::cpp: CExtractor(lx.tokens, sink).run(); break;
    case Language::python: extract_python(lx.tokens, sink); break;
    case Language::go: extract_go(lx.tokens, sink); break;
    case Language::javascript:
    case Language::typescript:
      extract_js(lx.tokens, language == Language::typescript, sink);
      break;
    case Language::rust: extract_rust(lx.tokens, sink); break;
    case Language::java: extract_java(lx.tokens, sink); break;
    case Language::shell: extract_shell(lx.tokens, sink); break;
    case Language::cmake: extract_cmake(lx.tokens, sink); break;
    default: break;
  }
  if (language == Language::python && !lx.tokens.empty() &&
      lx.tokens.front().kind == Tok::string) {
    out.doc_summary =
        first_sentence(comment_prose(unquote(lx.tokens.front().text)));
  }
  if (out.doc_summary.empty()) out.doc_summary = leading_comment_summary(lx);
  collect_todos(lx.comments, out.todos);
  // The tokenizer still finds imports, the summary and TODOs; where a
  // grammar parses the file, its symbols replace the tokenizer's.
  // Cython (.pyx, .pxd, .pxi) is not Python to the Python grammar.
  const bool cython = language == Language::python &&
                      (path.ends_with(".pyx") || path.ends_with(".pxd") ||
                       path.ends_with(".pxi"));
  auto tree = cython ? std::nullopt
                     : tree_symbols(language, content, path.ends_with(".tsx"));
  if (tree) {
    // Past the part the parser read, the tokenizer's symbols stay.
    std::erase_if(out.symbols, [&](const ExtractedSymbol& s) {
      return tree->first_line_unread == 0 || s.line < tree->first_line_unread;
    });
    tree->symbols.insert(tree->symbols.end(),
                         std::make_move_iterator(out.symbols.begin()),
                         std::make_move_iterator(out.symbols.end()));
    out.symbols = std::move(tree->symbols);
    if (out.symbols.size() > extract_symbols_max) {
      out.symbols.resize(extract_symbols_max);
    }
    out.include_guard = std::move(tree->include_guard);
  }
  return out;
}

// What of the path extract_uncached reads, with the language: one cache
// entry per combination.
std::uint64_t variant_of(Language language, std::string_view path) {
  std::uint64_t v = static_cast<std::uint64_t>(language) << 8;
  if (path.ends_with(".tsx")) v |= 1;
  if (path.ends_with(".pyx") || path.ends_with(".pxd") ||
      path.ends_with(".pxi"))
    v |= 2;
  return v;
}

}  // namespace

Extraction extract(Language language, std::string_view content,
                   std::string_view path) {
  content =
      content.substr(0, std::min(content.size(), extract_content_bytes_max));
  // Small files are quick to read again; the cache keeps larger ones.
  static ExtractionCache cache(extract_cache_entries_max,
                               extract_cache_bytes_max);
  const bool cached = content.size() >= extract_cache_content_bytes_min;
  const std::uint64_t variant = variant_of(language, path);
  if (cached) {
    if (auto hit = cache.find(variant, content)) return std::move(*hit);
  }
  Extraction out = extract_uncached(language, content, path);
  if (cached) cache.insert(variant, content, out);
  return out;
}

}  // namespace slurp::engine
