// Symbols, imports, a one-line summary and TODO notes, extracted from one
// source file by a small per-language tokenizer (comments and string
// literals skipped). Pure functions: no I/O, safe on any bytes, linear in
// the input, output bounded by the limits below. Callable from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/engine/language.h"

namespace slurp::engine {

struct ExtractedSymbol {
  std::string name;
  // function, method, class, struct, union, enum, type, interface, trait,
  // macro, variable, module.
  std::string kind;
  std::uint64_t line = 0;  // 1-based
  // The declaration up to its body, whitespace collapsed (tree-sitter
  // languages only; bounded by extract_text_bytes_max).
  std::string signature{};
  // The first sentence of the comment just above it, or of a Python
  // docstring (tree-sitter languages only).
  std::string doc{};

  // What was found and where; the text around it is not compared.
  bool operator==(const ExtractedSymbol& o) const {
    return name == o.name && kind == o.kind && line == o.line;
  }
};

struct Extraction {
  std::vector<ExtractedSymbol> symbols;  // top-level only, in file order
  std::vector<std::string> imports;      // in file order, duplicates kept
  std::string doc_summary;         // first sentence of the leading doc comment
  std::vector<std::string> todos;  // text after TODO/FIXME/XXX in comments
  // The macro of a C/C++ include guard (#ifndef X / #define X), if any.
  std::string include_guard;
};

// Bytes past this are ignored: generated files this big carry no summary
// a reader would want, and it bounds the work per file.
inline constexpr std::size_t extract_content_bytes_max = 16u << 20;
inline constexpr std::size_t extract_symbols_max = 20000;
inline constexpr std::size_t extract_imports_max = 2000;
inline constexpr std::size_t extract_todos_max = 100;
inline constexpr std::size_t extract_text_bytes_max = 200;  // summary, todo
// extract() keeps the extractions of the last contents it read (at least
// extract_cache_content_bytes_min bytes each, extract_cache_bytes_max in
// all, src/engine/extraction_cache.h): the same bytes again, under the
// same language and path suffix, are not parsed again.
inline constexpr std::size_t extract_cache_content_bytes_min = 1024;
inline constexpr std::size_t extract_cache_entries_max = 4096;
inline constexpr std::size_t extract_cache_bytes_max = 64u << 20;

// Symbols come from the language's tree-sitter grammar where there is one
// (tree_symbols.h) and from the hand-written tokenizer otherwise; `path`
// only picks the TSX grammar for a ".tsx" file and the tokenizer for
// Cython. Any thread.
Extraction extract(Language language, std::string_view content,
                   std::string_view path = {});

}  // namespace slurp::engine
