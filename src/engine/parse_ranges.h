// The bytes the parser need not read: the insides of the braces that hold
// no top-level symbol. A context lists top-level symbols only, and the
// bodies of functions, classes, structs, enums and initializers are most
// of a source file's bytes, which tree-sitter would otherwise parse at
// 3-5 MB/s. The parser is given the rest as included ranges
// (ts_parser_set_included_ranges), so the nodes it builds keep the file's
// offsets, rows and columns and the skipped bytes cost nothing.
//
// Which braces are kept, per language: C and C++ `namespace X {` and
// `extern "C" {`; Rust `mod x {` and `extern "C" {`; JavaScript and
// TypeScript `const {` (a destructuring binds top-level names); none
// else in those two, Go and Java, whose top level is outside every brace.
// Inside a kept brace the same rule applies again. Comments, string and
// character literals, raw strings, template literals (with their
// `${...}`), regular expression literals and C directives are stepped over
// when matching braces; a C `#define` inside a skipped body stays read
// (macros are file-wide). A `{` without a match ends the skipping: the
// rest is read whole. Python has no braces: there the body of a `def`
// or `class` is skipped after its first statement (the docstring, when
// there is one) up to the line that leaves its indentation. No spans for
// the languages without a grammar. Pure; any thread; linear in the text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "src/engine/language.h"

namespace slurp::engine {

struct TextPoint {
  std::uint32_t row = 0;
  std::uint32_t column = 0;  // in bytes, as tree-sitter counts
  friend bool operator==(const TextPoint&, const TextPoint&) = default;
};

// Bytes [begin, end) left out; begin follows a `{`, end is at its `}` (or
// at a kept #define line inside it).
struct SkippedSpan {
  std::uint32_t begin = 0, end = 0;
  TextPoint begin_point, end_point;
};

// Past this many spans the rest of the file is read whole: bounds the
// ranges handed to the parser (a span is one brace pair at top level).
inline constexpr std::size_t skipped_spans_max = 1u << 18;

// In file order, none empty, none overlapping. Empty for a text over
// 4 GiB (offsets are 32-bit, as tree-sitter's).
std::vector<SkippedSpan> skipped_bodies(std::string_view text,
                                        Language language);

}  // namespace slurp::engine
