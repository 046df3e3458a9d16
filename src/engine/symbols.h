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

  bool operator==(const ExtractedSymbol&) const = default;
};

struct Extraction {
  std::vector<ExtractedSymbol> symbols;  // top-level only, in file order
  std::vector<std::string> imports;      // in file order, duplicates kept
  std::string doc_summary;         // first sentence of the leading doc comment
  std::vector<std::string> todos;  // text after TODO/FIXME/XXX in comments
};

// Bytes past this are ignored: generated files this big carry no summary
// a reader would want, and it bounds the work per file.
inline constexpr std::size_t extract_content_bytes_max = 16u << 20;
inline constexpr std::size_t extract_symbols_max = 20000;
inline constexpr std::size_t extract_imports_max = 2000;
inline constexpr std::size_t extract_todos_max = 100;
inline constexpr std::size_t extract_text_bytes_max = 200;  // summary, todo

Extraction extract(Language language, std::string_view content);

}  // namespace slurp::engine
