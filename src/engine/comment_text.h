// Prose out of comments and docstrings: markers stripped, first sentence,
// bounded length. Shared by the hand-written extractor (symbols.cc) and
// the tree-sitter one (tree_symbols.cc). Pure functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace slurp::engine {

// Without leading and trailing whitespace (newlines included).
std::string_view trim(std::string_view s);

// At most `bytes_max` bytes without splitting a UTF-8 sequence, trimmed.
std::string bounded(std::string_view s, std::size_t bytes_max);

// Comment markers (//, /*, *, #, """, ...) off each line; a blank line
// becomes a paragraph break ('\n'), other lines join with a space.
std::string comment_prose(std::string_view text);

// The first sentence (or line) of `prose`, bounded by
// extract_text_bytes_max.
std::string first_sentence(std::string_view prose);

}  // namespace slurp::engine
