// Top-level symbols from a tree-sitter parse: each grammar's tags.scm (the
// queries code navigation uses) joined to ours in src/engine/queries,
// which add what ctags reports and the tags leave out, and mark the scopes
// whose insides are not top level. Kinds, signatures and doc comments are
// read off the tree. Callable from any thread: each thread keeps its own
// parser and query cursor; the compiled queries are shared, read-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/engine/language.h"
#include "src/engine/symbols.h"

namespace slurp::engine {

// Past this, files go to the hand-written extractor: a tree costs tens of
// bytes per source byte, and a file this big is generated or data.
inline constexpr std::size_t tree_parse_bytes_max = 8u << 20;
// A parse that takes longer than this plus 1 µs per byte (1 MB/s; real
// code parses at 5-30 MB/s, bytes that are not the language can crawl
// through error recovery at 0.1 MB/s) is abandoned (same fallback).
inline constexpr std::uint64_t tree_parse_timeout_base_us = 1'000'000;

// True for the languages compiled in: C, C++, Go, Java, JavaScript,
// Python, Rust, TypeScript.
bool has_grammar(Language language);

struct TreeSymbols {
  std::vector<ExtractedSymbol> symbols;  // in file order, one per name+line
  std::string include_guard;             // C/C++ only
};

// nullopt when the language has no grammar, the content is over
// tree_parse_bytes_max or the parse timed out.
std::optional<TreeSymbols> tree_symbols(Language language,
                                        std::string_view content,
                                        bool tsx = false);

}  // namespace slurp::engine
