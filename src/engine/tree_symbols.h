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
// The parser reads at most this many bytes of a file, skipped bodies not
// counted: tree-sitter reads declarations at 3-15 MB/s, and files past
// this are generated tables (Boost's preprocessed headers, GL's
// extension lists), a tenth of /usr/include's time in 17 files of 23,000.
// It stops at the start of a line; the symbols after it are the
// tokenizer's (symbols.h), marked by TreeSymbols::first_line_unread.
inline constexpr std::size_t tree_read_bytes_max = 512u << 10;

// True for the languages compiled in: C, C++, Go, Java, JavaScript,
// Python, Rust, TypeScript.
bool has_grammar(Language language);

struct TreeSymbols {
  std::vector<ExtractedSymbol> symbols;  // in file order, one per name+line
  std::string include_guard;             // C/C++ only
  // 1-based; 0 when the parser read the whole file (tree_read_bytes_max).
  std::uint64_t first_line_unread = 0;
};

// nullopt when the language has no grammar, the content is over
// tree_parse_bytes_max or the parse timed out.
std::optional<TreeSymbols> tree_symbols(Language language,
                                        std::string_view content,
                                        bool tsx = false);

}  // namespace slurp::engine
