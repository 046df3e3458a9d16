#include "src/engine/tree_symbols.h"

#include <tree_sitter/api.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "src/engine/c_conditionals.h"
#include "src/engine/comment_text.h"
#include "src/engine/export_macros.h"
#include "src/engine/parse_ranges.h"
#include "src/engine/tags_query.h"
// Header-only UTF-8 checks, shared with the worker (no link dependency).
#include "src/worker/utf8.h"

namespace slurp::engine {
namespace {

struct ParserDeleter {
  void operator()(TSParser* p) const { ts_parser_delete(p); }
};
struct CursorDeleter {
  void operator()(TSQueryCursor* c) const { ts_query_cursor_delete(c); }
};
struct TreeDeleter {
  void operator()(TSTree* t) const { ts_tree_delete(t); }
};

// Pending states per cursor: bounds the memory a pathological file can
// make the query use (matches past it are dropped, not wrong).
constexpr std::uint32_t kMatchLimit = 1024;

struct Range {
  std::uint32_t begin = 0, end = 0;
};

struct Found {
  TSNode name;
  TSNode definition;
  const std::string* capture_kind;  // "class", "function", ...
};

struct CommentAt {
  std::uint32_t first_row = 0, last_row = 0;
  Range bytes;
};

struct Collected {
  std::vector<Found> definitions;
  std::vector<Range> scopes;
  std::vector<CommentAt> comments;
};

// What the parser reads, and the way back to the file. The parser is
// given the text less its skipped spans as one string of its own. (With
// tree-sitter's included ranges nodes would keep the file's offsets, but
// 0.20.7's lexer finds the range of a position by a walk from the first,
// ts_lexer_goto, for most tokens: over a header of thousands of spans,
// quadratic.) Nodes' offsets are into that string; begin, end, row and
// text answer in the file's. Immutable; one per parse.
class Source {
 public:
  // `parsed` is `original` or a copy of it with the same offsets (the C
  // blanks); `skipped` in order, disjoint, as skipped_bodies returns them.
  Source(std::string_view original, std::string_view parsed,
         const std::vector<SkippedSpan>& skipped)
      : original_(original), parsed_(parsed) {
    std::uint32_t at = 0;
    if (!skipped.empty()) {
      for (const SkippedSpan& span : skipped) {
        pieces_.push_back({size32(compacted_), at});
        compacted_.append(parsed.substr(at, span.begin - at));
        at = span.end;
      }
      pieces_.push_back({size32(compacted_), at});
      compacted_.append(parsed.substr(at));
      parsed_ = compacted_;
    } else {
      pieces_.push_back({0, 0});
    }
    for (const char* p = original.data(); p != nullptr;) {
      const auto left =
          static_cast<std::size_t>(original.data() + original.size() - p);
      p = static_cast<const char*>(std::memchr(p, '\n', left));
      if (p == nullptr) break;
      newlines_.push_back(static_cast<std::uint32_t>(p - original.data()));
      ++p;
    }
  }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  std::string_view parsed() const { return parsed_; }
  std::string_view original() const { return original_; }

  // The file's offset of a node's first byte, and past its last.
  std::uint32_t begin(TSNode n) const {
    return to_original(ts_node_start_byte(n));
  }
  std::uint32_t end(TSNode n) const {
    const std::uint32_t b = ts_node_start_byte(n), e = ts_node_end_byte(n);
    return e <= b ? to_original(b) : to_original(e - 1) + 1;
  }
  // The 0-based row of a byte of the file.
  std::uint32_t row_at(std::uint32_t byte) const {
    return static_cast<std::uint32_t>(
        std::lower_bound(newlines_.begin(), newlines_.end(), byte) -
        newlines_.begin());
  }
  std::uint32_t row(TSNode n) const { return row_at(begin(n)); }
  // The file's offset of a parsed offset.
  std::uint32_t offset_in_file(std::size_t parsed_offset) const {
    return to_original(static_cast<std::uint32_t>(parsed_offset));
  }
  std::string_view text(TSNode n) const {
    const std::uint32_t b = begin(n);
    return original_.substr(b, end(n) - b);
  }

 private:
  struct Piece {
    std::uint32_t parsed = 0, original = 0;  // where it starts in each
  };
  static std::uint32_t size32(const std::string& s) {
    return static_cast<std::uint32_t>(s.size());
  }
  std::uint32_t to_original(std::uint32_t byte) const {
    if (pieces_.size() == 1) return byte;
    auto it = std::upper_bound(
        pieces_.begin(), pieces_.end(), byte,
        [](std::uint32_t b, const Piece& p) { return b < p.parsed; });
    --it;  // the first piece starts at 0
    return it->original + (byte - it->parsed);
  }

  std::string_view original_;
  std::string_view parsed_;
  std::string compacted_;
  std::vector<Piece> pieces_;
  std::vector<std::uint32_t> newlines_;
};

Collected collect(const TagsQuery& q, TSNode root, const Source& source) {
  thread_local std::unique_ptr<TSQueryCursor, CursorDeleter> cursor(
      ts_query_cursor_new());
  ts_query_cursor_set_match_limit(cursor.get(), kMatchLimit);
  ts_query_cursor_exec(cursor.get(), q.query, root);
  Collected out;
  TSQueryMatch match;
  while (ts_query_cursor_next_match(cursor.get(), &match)) {
    Found found{};
    bool has_name = false, has_definition = false;
    for (std::uint16_t k = 0; k < match.capture_count; ++k) {
      const TSQueryCapture& c = match.captures[k];
      switch (q.roles[c.index]) {
        case CaptureRole::name: found.name = c.node, has_name = true; break;
        case CaptureRole::definition:
          found.definition = c.node, has_definition = true;
          found.capture_kind = &q.definition_kind[c.index];
          break;
        case CaptureRole::scope:
          out.scopes.push_back({source.begin(c.node), source.end(c.node)});
          break;
        case CaptureRole::comment: {
          // The row of its last byte: Rust's line comments hold their '\n'.
          const Range bytes{source.begin(c.node), source.end(c.node)};
          out.comments.push_back(
              {source.row_at(bytes.begin),
               source.row_at(std::max(bytes.begin, bytes.end - 1)), bytes});
          break;
        }
        case CaptureRole::ignored: break;
      }
    }
    if (has_name && has_definition &&
        predicates_hold(q, match, source.parsed())) {
      out.definitions.push_back(found);
    }
  }
  return out;
}

// The outermost scopes, sorted: a name is top level unless one holds it.
std::vector<Range> outermost(std::vector<Range> scopes) {
  std::sort(scopes.begin(), scopes.end(), [](const Range& a, const Range& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::vector<Range> out;
  for (const Range& r : scopes) {
    if (out.empty() || r.begin >= out.back().end) out.push_back(r);
  }
  return out;
}

bool inside(const std::vector<Range>& scopes, std::uint32_t byte) {
  auto it = std::upper_bound(
      scopes.begin(), scopes.end(), byte,
      [](std::uint32_t b, const Range& r) { return b < r.begin; });
  if (it == scopes.begin()) return false;
  --it;
  return byte >= it->begin && byte < it->end;
}

bool is(TSNode n, std::string_view type) {
  return ts_node_type(n) == type;
}

// A node kind that says more than the tags capture does.
constexpr std::array<std::pair<std::string_view, std::string_view>, 28>
    kKindByNode{{
        {"struct_specifier", "struct"},
        {"class_specifier", "class"},
        {"union_specifier", "union"},
        {"enum_specifier", "enum"},
        {"type_definition", "type"},
        {"alias_declaration", "type"},
        {"namespace_definition", "module"},
        {"preproc_def", "macro"},
        {"preproc_function_def", "macro"},
        {"struct_item", "struct"},
        {"enum_item", "enum"},
        {"union_item", "union"},
        {"type_item", "type"},
        {"trait_item", "trait"},
        {"mod_item", "module"},
        {"macro_definition", "macro"},
        {"const_item", "variable"},
        {"static_item", "variable"},
        {"enum_declaration", "enum"},
        {"interface_declaration", "interface"},
        {"type_alias_declaration", "type"},
        {"internal_module", "module"},
        {"module", "module"},
        {"record_declaration", "class"},
        {"const_spec", "variable"},
        {"var_spec", "variable"},
        {"type_alias", "type"},
        {"annotation_type_declaration", "interface"},
    }};

std::string kind_of(TSNode definition, const std::string& capture_kind) {
  const std::string_view type = ts_node_type(definition);
  // `res.send = function ...` defines a method of res (ctags scopes it to
  // res), as `int A::f()` does in C++; `f = function` stays a function.
  if (type == "assignment_expression") {
    const TSNode left = ts_node_child_by_field_name(definition, "left", 4);
    if (!ts_node_is_null(left) && is(left, "member_expression")) {
      return "method";
    }
  }
  if (type == "type_spec" || type == "type_alias") {
    const TSNode t = ts_node_child_by_field_name(definition, "type", 4);
    if (!ts_node_is_null(t) && is(t, "struct_type")) return "struct";
    if (!ts_node_is_null(t) && is(t, "interface_type")) return "interface";
    return "type";
  }
  for (const auto& [node, kind] : kKindByNode) {
    if (type == node) return std::string(kind);
  }
  if (capture_kind == "constant") return "variable";
  return capture_kind;
}

// `union u v;` and `class C;` name a type without defining it.
bool is_aggregate_without_body(TSNode definition) {
  const std::string_view type = ts_node_type(definition);
  const bool aggregate = type == "struct_specifier" ||
                         type == "union_specifier" ||
                         type == "enum_specifier" || type == "class_specifier";
  return aggregate &&
         ts_node_is_null(ts_node_child_by_field_name(definition, "body", 4));
}

// Whitespace runs become one space; at most extract_text_bytes_max bytes.
std::string collapsed(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (out.size() >= extract_text_bytes_max) break;
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return bounded(out, extract_text_bytes_max);
}

// The start of the line `byte` is on.
std::uint32_t line_start(std::string_view source, std::uint32_t byte) {
  const std::size_t nl = source.rfind('\n', byte == 0 ? 0 : byte - 1);
  if (byte == 0 || nl == std::string_view::npos) return 0;
  return static_cast<std::uint32_t>(nl + 1);
}

std::string signature_of(TSNode definition, const Source& source) {
  std::uint32_t begin = source.begin(definition);
  std::uint32_t end = source.end(definition);
  const TSNode body = ts_node_child_by_field_name(definition, "body", 4);
  if (!ts_node_is_null(body)) end = source.begin(body);
  // A C declarator lacks its return type: take its line from the start.
  if (is(definition, "function_declarator")) {
    begin = line_start(source.original(), begin);
  }
  std::string_view s = source.original().substr(begin, end - begin);
  s = s.substr(0, std::min<std::size_t>(s.size(), 4 * extract_text_bytes_max));
  std::string out = collapsed(s);
  while (!out.empty() && (out.back() == ':' || out.back() == '{' ||
                          out.back() == ' ' || out.back() == '='))
    out.pop_back();
  return out;
}

// Declarations that wrap a definition node and start before it: the doc
// comment sits above them.
bool is_wrapper(TSNode n) {
  static constexpr std::array<std::string_view, 14> kWrappers{
      "function_definition",  "declaration",          "template_declaration",
      "pointer_declarator",   "export_statement",     "decorated_definition",
      "lexical_declaration",  "variable_declaration", "type_declaration",
      "const_declaration",    "var_declaration",      "type_definition",
      "reference_declarator", "field_declaration"};
  const std::string_view type = ts_node_type(n);
  return std::find(kWrappers.begin(), kWrappers.end(), type) != kWrappers.end();
}

bool is_attribute(TSNode n) {
  return is(n, "attribute_item") || is(n, "decorator");
}

// The path from a node down to nodes asked for in file order, found by
// one forward walk of a tree cursor. ts_node_parent and
// ts_node_prev_named_sibling walk down from the root past every earlier
// sibling: over a header of thousands of declarations that was a tenth of
// the engine's time.
class PathWalk {
 public:
  struct Step {
    TSNode node;
    // The first row of the attributes and decorators right before it
    // (`#[derive(..)]`, `@dataclass`), else its own first row.
    std::uint32_t attributes_row;
  };

  PathWalk(TSNode top, const Source& source)
      : source_(source), cursor_(ts_tree_cursor_new(top)) {
    path_.push_back({top, source_.row(top)});
  }
  ~PathWalk() { ts_tree_cursor_delete(&cursor_); }
  PathWalk(const PathWalk&) = delete;
  PathWalk& operator=(const PathWalk&) = delete;

  // The nodes from the top down to `target`, `target` last; nullptr when
  // it is not below the top or comes before the last one asked for.
  const std::vector<Step>* path_to(TSNode target) {
    const std::uint32_t begin = ts_node_start_byte(target);
    const std::uint32_t end = ts_node_end_byte(target);
    for (;;) {
      const TSNode at = path_.back().node;
      if (ts_node_eq(at, target)) return &path_;
      if (ts_node_start_byte(at) > begin) return nullptr;
      if (ts_node_end_byte(at) >= end &&
          ts_tree_cursor_goto_first_child(&cursor_)) {
        const TSNode child = ts_tree_cursor_current_node(&cursor_);
        path_.push_back({child, source_.row(child)});
        run_open_ = false;
        continue;
      }
      if (!next()) return nullptr;
    }
  }

 private:
  // To the next sibling, climbing as needed; false past the top's end.
  bool next() {
    for (;;) {
      const TSNode left = path_.back().node;
      if (path_.size() > 1 && ts_tree_cursor_goto_next_sibling(&cursor_)) {
        // A run of attributes before a named node, on the same level.
        if (ts_node_is_named(left)) {
          if (!is_attribute(left)) {
            run_open_ = false;
          } else if (!run_open_) {
            run_open_ = true;
            run_row_ = source_.row(left);
          }
        }
        const TSNode node = ts_tree_cursor_current_node(&cursor_);
        path_.back() = {node, run_open_ ? run_row_ : source_.row(node)};
        return true;
      }
      if (path_.size() == 1 || !ts_tree_cursor_goto_parent(&cursor_)) {
        return false;
      }
      path_.pop_back();
      run_open_ = false;
    }
  }

  const Source& source_;
  TSTreeCursor cursor_;
  std::vector<Step> path_;
  bool run_open_ = false;
  std::uint32_t run_row_ = 0;
};

// The row a doc comment must end just above: the definition's, or that of
// the declarations wrapping it and the attributes before them. `path`
// ends with the definition.
std::uint32_t anchor_row(const std::vector<PathWalk::Step>& path) {
  std::size_t k = path.size() - 1;
  for (int hops = 0; hops < 4 && k > 0 && is_wrapper(path[k - 1].node);
       ++hops) {
    --k;
  }
  return path[k].attributes_row;
}

// anchor_row of each definition, by one walk over them in file order.
std::vector<std::uint32_t> anchor_rows(TSNode root,
                                       const std::vector<Found>& found,
                                       const Source& source) {
  std::vector<std::size_t> order(found.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  // Outer before inner at one start: the order a walk meets them in.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const TSNode x = found[a].definition, y = found[b].definition;
    if (ts_node_start_byte(x) != ts_node_start_byte(y))
      return ts_node_start_byte(x) < ts_node_start_byte(y);
    return ts_node_end_byte(x) > ts_node_end_byte(y);
  });
  std::vector<std::uint32_t> out(found.size());
  PathWalk walk(root, source);
  for (const std::size_t k : order) {
    const TSNode d = found[k].definition;
    const std::vector<PathWalk::Step>* path = walk.path_to(d);
    if (path == nullptr) {
      // Two patterns matched one node with different ends, or a node
      // twice: walked to afresh.
      PathWalk again(root, source);
      path = again.path_to(d);
      out[k] = path != nullptr ? anchor_row(*path) : source.row(d);
      continue;
    }
    out[k] = anchor_row(*path);
  }
  return out;
}

std::string python_docstring(TSNode definition, const Source& source) {
  TSNode d = definition;
  const TSNode body = ts_node_child_by_field_name(d, "body", 4);
  if (ts_node_is_null(body) || ts_node_named_child_count(body) == 0) return {};
  const TSNode first = ts_node_named_child(body, 0);
  if (!is(first, "expression_statement") ||
      ts_node_named_child_count(first) == 0)
    return {};
  const TSNode s = ts_node_named_child(first, 0);
  if (!is(s, "string")) return {};
  // Prefix (r, b, u, f) and quotes off both ends.
  std::string_view text = source.text(s);
  while (!text.empty() && text.front() != '"' && text.front() != '\'')
    text.remove_prefix(1);
  const std::size_t quotes =
      text.starts_with("\"\"\"") || text.starts_with("'''") ? 3 : 1;
  if (text.size() < 2 * quotes) return {};
  text = text.substr(quotes, text.size() - 2 * quotes);
  return first_sentence(comment_prose(text));
}

// A comment alone on its line, not one trailing code (`}  // ns`).
bool starts_line(const CommentAt& c, std::string_view source) {
  const std::uint32_t begin = line_start(source, c.bytes.begin);
  return trim(source.substr(begin, c.bytes.begin - begin)).empty();
}

// The comment block that ends on the row above `row`.
std::string doc_above(const std::vector<CommentAt>& comments, std::uint32_t row,
                      std::string_view source) {
  if (row == 0) return {};
  auto it = std::lower_bound(
      comments.begin(), comments.end(), row - 1,
      [](const CommentAt& c, std::uint32_t r) { return c.last_row < r; });
  if (it == comments.end() || it->last_row != row - 1 ||
      !starts_line(*it, source))
    return {};
  auto first = it;
  while (first != comments.begin() &&
         std::prev(first)->last_row + 1 == first->first_row &&
         starts_line(*std::prev(first), source))
    --first;
  const Range bytes{first->bytes.begin, it->bytes.end};
  const std::string_view text = source.substr(
      bytes.begin, std::min<std::size_t>(bytes.end - bytes.begin, 4096));
  return first_sentence(comment_prose(text));
}

// `int A::f()` is reported as A::f, like the hand-written extractor did.
std::string name_of(TSNode definition, TSNode name, const Source& source) {
  // The name is inside its definition, whose subtree is small.
  PathWalk walk(definition, source);
  const std::vector<PathWalk::Step>* path = walk.path_to(name);
  const TSNode parent = path == nullptr    ? ts_node_parent(name)
                        : path->size() > 1 ? (*path)[path->size() - 2].node
                                           : TSNode{};
  if (!ts_node_is_null(parent) && is(parent, "qualified_identifier")) {
    return collapsed(source.text(parent));
  }
  return collapsed(source.text(name));
}

// `TEST_F(DBTest, Iterate) { ... }` defines a test, not a function named
// TEST_F: kind "test", named "TEST_F(DBTest, Iterate)".
void gtest_case(TSNode definition, const Source& source, ExtractedSymbol& s) {
  static constexpr std::array<std::string_view, 6> kMacros{
      "TEST", "TEST_F", "TEST_P", "TYPED_TEST", "TYPED_TEST_P", "FRIEND_TEST"};
  if (std::find(kMacros.begin(), kMacros.end(), s.name) == kMacros.end() ||
      !is(definition, "function_declarator"))
    return;
  const TSNode params =
      ts_node_child_by_field_name(definition, "parameters", 10);
  if (ts_node_is_null(params)) return;
  std::string args;
  for (std::uint32_t k = 0; k < ts_node_named_child_count(params); ++k) {
    if (!args.empty()) args += ", ";
    args += collapsed(source.text(ts_node_named_child(params, k)));
  }
  if (args.empty()) return;
  s.name += "(" + args + ")";
  s.kind = "test";
}

// function, class and the other named kinds over method over variable:
// when two patterns find one name on one line, the more telling kind wins
// (a Rust fn in a `mod` is matched as a method too). In JavaScript and
// TypeScript a top-level method is `res.send = function send() {}`, which
// is a method, not a function named send.
int kind_rank(std::string_view kind, Language language) {
  const bool js =
      language == Language::javascript || language == Language::typescript;
  if (kind == "variable") return 0;
  if (kind == "method") return js ? 2 : 1;
  if (kind == "function") return js ? 1 : 2;
  return 3;
}

std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      out += c;
    } else {
      out += static_cast<char>(0xC0 | (b >> 6));
      out += static_cast<char>(0x80 | (b & 0x3F));
    }
  }
  return out;
}

// What of `parsed` the parser reads: all of it up to tree_read_bytes_max,
// else up to the start of the last line before that bound that starts
// with no blank (a top-level declaration, mostly), or of the last line.
std::string_view read_part(std::string_view parsed) {
  if (parsed.size() <= tree_read_bytes_max) return parsed;
  std::size_t cut = parsed.rfind('\n', tree_read_bytes_max - 1);
  if (cut == std::string_view::npos) return parsed.substr(0, 0);
  // At most 4096 lines back, never into the first half.
  std::size_t nl = cut;
  for (int tries = 0; tries < 4096 && nl > tree_read_bytes_max / 2; ++tries) {
    const char next = parsed[nl + 1];
    if (next != ' ' && next != '\t' && next != '\n' && next != '\r' &&
        next != '}' && next != ')') {
      cut = nl;
      break;
    }
    nl = parsed.rfind('\n', nl - 1);
    if (nl == std::string_view::npos) break;
  }
  return parsed.substr(0, cut + 1);
}

TSTree* parse(const TSLanguage* grammar, std::string_view text,
              std::size_t file_bytes) {
  thread_local std::unique_ptr<TSParser, ParserDeleter> parser(ts_parser_new());
  ts_parser_set_language(parser.get(), grammar);
  ts_parser_set_timeout_micros(parser.get(),
                               tree_parse_timeout_base_us + file_bytes);
  TSTree* tree =
      ts_parser_parse_string(parser.get(), nullptr, text.data(),
                             static_cast<std::uint32_t>(text.size()));
  // A timed-out parse leaves the parser mid-way; the next one starts anew.
  if (tree == nullptr) ts_parser_reset(parser.get());
  return tree;
}

// Moves the cursor to the next node of a pre-order walk that enters the
// current node's children only when `descend` (and it has some); false
// when the walk is over.
bool next_in_walk(TSTreeCursor& cursor, bool descend) {
  if (descend && ts_tree_cursor_goto_first_child(&cursor)) return true;
  while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
    if (!ts_tree_cursor_goto_parent(&cursor)) return false;
  }
  return true;
}

// Whether an ERROR or MISSING node of the tree touches a skipped span
// (or the braces around it). Only subtrees with errors are entered; past
// kErrorNodesMax nodes, the answer is yes.
bool errors_touch(TSNode root, const Source& source,
                  const std::vector<SkippedSpan>& skipped) {
  constexpr int kErrorNodesMax = 100000;
  if (!ts_node_has_error(root)) return false;
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  bool touch = false;
  int visited = 0;
  for (bool more = true; more && !touch;) {
    const TSNode n = ts_tree_cursor_current_node(&cursor);
    if (++visited > kErrorNodesMax) {
      touch = true;
      break;
    }
    if (ts_node_is_missing(n) || is(n, "ERROR")) {
      const std::uint32_t begin = source.begin(n);
      const std::uint32_t end = source.end(n);
      // The first span ending at or after the error's start.
      auto it = std::lower_bound(
          skipped.begin(), skipped.end(), begin,
          [](const SkippedSpan& s, std::uint32_t b) { return s.end + 1 < b; });
      touch = it != skipped.end() && it->begin <= end + 1;
    }
    more = next_in_walk(cursor, !touch && ts_node_has_error(n));
  }
  ts_tree_cursor_delete(&cursor);
  return touch;
}

// Whether the skipping may have misled the parser, so that the file is
// parsed whole instead. An error next to a skipped span may be the
// skipping's, misled by a regular expression or JSX text. Errors elsewhere
// are the grammar's (TypeScript's `out T`), and a whole parse would only
// repeat them. In C and C++, whose macros leave errors next to braces in
// many a good parse, only when the whole file became one ERROR: error
// recovery sometimes gives up on a file whose bodies are gone where it
// would have recovered with them (fmt's gmock.h after
// `GMOCK_DEFINE_DEFAULT_ACTION_FOR_RETURN_TYPE_(void, );`), though not
// always; the caller keeps the parse with fewer bytes in errors.
bool misled(TSNode root, const Source& source,
            const std::vector<SkippedSpan>& skipped, bool c_family) {
  if (skipped.empty()) return false;
  return c_family ? is(root, "ERROR") : errors_touch(root, source, skipped);
}

// One symbol per name and line, the most telling kind kept; TypeScript
// overloads (`function f(a: string): A;` then `function f(a: number): B;`
// then the body) declare one function: its first line, as ctags reports.
std::vector<ExtractedSymbol> deduplicated(
    std::vector<std::pair<std::uint32_t, ExtractedSymbol>> symbols,
    Language language) {
  std::vector<ExtractedSymbol> out;
  for (auto& [at, s] : symbols) {
    if (language == Language::typescript && !out.empty() &&
        s.kind == "function" && out.back().kind == "function" &&
        out.back().name == s.name) {
      continue;
    }
    if (!out.empty() && out.back().name == s.name &&
        out.back().line == s.line) {
      if (kind_rank(s.kind, language) > kind_rank(out.back().kind, language)) {
        out.back() = std::move(s);
      }
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

// The file's bytes inside the outermost ERROR nodes.
std::uint64_t error_bytes(TSNode root, const Source& source) {
  std::uint64_t bytes = 0;
  if (!ts_node_has_error(root)) return bytes;
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  for (bool more = true; more;) {
    const TSNode n = ts_tree_cursor_current_node(&cursor);
    const bool error = is(n, "ERROR");
    if (error) bytes += source.end(n) - source.begin(n);
    more = next_in_walk(cursor, !error && ts_node_has_error(n));
  }
  ts_tree_cursor_delete(&cursor);
  return bytes;
}

// The name of a function expression binds inside it only: in
// `res.contentType = res.type = function contentType(t) {}` the symbol is
// the method `type` (the assignment's), and `contentType` declares
// nothing. In `res.send = function send() {}` the two have one name and
// line and the method is kept either way. `module.exports = function
// render() {}` is the exception: the module is that function, and its
// name is the one a reader looks for. The function expressions that are
// the right side of an assignment found as a definition.
std::vector<TSNode> assigned_functions(const std::vector<Found>& found,
                                       const Source& source) {
  std::vector<TSNode> out;
  for (const Found& f : found) {
    if (!is(f.definition, "assignment_expression")) continue;
    const TSNode left = ts_node_child_by_field_name(f.definition, "left", 4);
    if (!ts_node_is_null(left) && source.text(left) == "module.exports") {
      continue;
    }
    const TSNode right = ts_node_child_by_field_name(f.definition, "right", 5);
    if (!ts_node_is_null(right)) out.push_back(right);
  }
  return out;
}

bool is_one_of(TSNode n, const std::vector<TSNode>& nodes) {
  return std::any_of(nodes.begin(), nodes.end(),
                     [&](const TSNode& m) { return ts_node_eq(n, m); });
}

// The symbols a parse found, in file order, one per name and line.
std::vector<ExtractedSymbol> symbols_of(const TagsQuery& q, TSNode root,
                                        const Source& source,
                                        Language language) {
  Collected found = collect(q, root, source);
  const std::vector<Range> scopes = outermost(std::move(found.scopes));
  std::sort(found.comments.begin(), found.comments.end(),
            [](const CommentAt& a, const CommentAt& b) {
              return a.bytes.begin < b.bytes.begin;
            });
  const std::vector<std::uint32_t> anchors =
      anchor_rows(root, found.definitions, source);
  const std::string_view content = source.original();
  const std::vector<TSNode> assigned =
      assigned_functions(found.definitions, source);
  std::vector<std::pair<std::uint32_t, ExtractedSymbol>> symbols;
  for (std::size_t d = 0; d < found.definitions.size(); ++d) {
    const Found& f = found.definitions[d];
    const std::uint32_t at = source.begin(f.name);
    // A #define inside a function body is still file-wide.
    const bool macro = *f.capture_kind == "macro";
    if ((!macro && inside(scopes, at)) ||
        is_aggregate_without_body(f.definition) ||
        (is(f.definition, "function_expression") &&
         is_one_of(f.definition, assigned)))
      continue;
    ExtractedSymbol s;
    s.name = name_of(f.definition, f.name, source);
    // Go's blank identifier declares nothing.
    if (s.name.empty() || s.name == "_") continue;
    s.kind = kind_of(f.definition, *f.capture_kind);
    if (language == Language::cpp) gtest_case(f.definition, source, s);
    s.line = source.row_at(at) + std::uint64_t{1};
    s.signature = signature_of(f.definition, source);
    s.doc = language == Language::python
                ? python_docstring(f.definition, source)
                : "";
    if (s.doc.empty()) {
      s.doc = doc_above(found.comments, anchors[d], content);
    }
    symbols.emplace_back(at, std::move(s));
    if (symbols.size() >= extract_symbols_max) break;
  }
  std::stable_sort(
      symbols.begin(), symbols.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  return deduplicated(std::move(symbols), language);
}

}  // namespace

bool has_grammar(Language language) {
  switch (language) {
    case Language::c:
    case Language::cpp:
    case Language::go:
    case Language::java:
    case Language::javascript:
    case Language::python:
    case Language::rust:
    case Language::typescript: return true;
    default: return false;
  }
}

std::optional<TreeSymbols> tree_symbols(Language language,
                                        std::string_view content, bool tsx) {
  if (!has_grammar(language) || content.size() > tree_parse_bytes_max) {
    return std::nullopt;
  }
  const TagsQuery* q = tags_query(language, tsx);
  // Tree-sitter reads UTF-8. Anything else is taken for Latin-1 (the
  // common legacy encoding of source files) and re-encoded, so names come
  // out as valid UTF-8; lines stay where they were.
  std::string utf8;
  if (!worker::is_utf8(content)) {
    utf8 = latin1_to_utf8(content);
    content = utf8;
  }
  // The parser reads a copy without export macros; text comes from
  // `content`, at the same offsets.
  std::optional<std::string> blanked;
  const bool c_family = language == Language::c || language == Language::cpp;
  if (c_family) {
    blanked = blank_conditionals(content);
    if (auto more = blank_export_macros(blanked ? *blanked : content)) {
      blanked = std::move(more);
    }
  }
  // Bodies hold no top-level symbol: the parser skips them.
  const std::string_view parsed =
      blanked ? std::string_view(*blanked) : content;
  const std::vector<SkippedSpan> skipped = skipped_bodies(parsed, language);
  auto source = std::make_unique<Source>(content, parsed, skipped);
  std::unique_ptr<TSTree, TreeDeleter> tree(
      parse(q->grammar, read_part(source->parsed()), content.size()));
  if (!tree) return std::nullopt;
  if (misled(ts_tree_root_node(tree.get()), *source, skipped, c_family)) {
    auto whole =
        std::make_unique<Source>(content, parsed, std::vector<SkippedSpan>{});
    std::unique_ptr<TSTree, TreeDeleter> again(
        parse(q->grammar, read_part(whole->parsed()), content.size()));
    if (!again) return std::nullopt;
    // In C and C++ either may be the better one; elsewhere the whole.
    if (!c_family || error_bytes(ts_tree_root_node(again.get()), *whole) <
                         error_bytes(ts_tree_root_node(tree.get()), *source)) {
      tree = std::move(again);
      source = std::move(whole);
    }
  }
  TreeSymbols out;
  out.symbols =
      symbols_of(*q, ts_tree_root_node(tree.get()), *source, language);
  const std::size_t read = read_part(source->parsed()).size();
  if (read < source->parsed().size()) {
    // The line the parser stopped at, and what it found on it or after
    // (a declaration cut in two), are the tokenizer's.
    out.first_line_unread = source->row_at(source->offset_in_file(read)) + 1;
    std::erase_if(out.symbols, [&](const ExtractedSymbol& s) {
      return s.line >= out.first_line_unread;
    });
  }
  if (c_family) out.include_guard = include_guard(content);
  return out;
}

}  // namespace slurp::engine
