// Function bodies, blanked before the parse: the symbols a context lists
// are never inside one, and they are most of a C file's bytes, which
// tree-sitter would otherwise parse at ~5 MB/s. A body is a `{` right
// after a `)` (a function head, `TEST_F(A, B)`, a constructor's
// initializers) up to its matching `}`; its bytes become spaces, its
// newlines stay, so offsets and lines are the file's. Strings, character
// literals and comments are skipped when matching braces; a `{` without a
// match is left alone. Pure; any thread.
#pragma once

#include <string>

namespace slurp::engine {

// Blanks in place; returns how many bytes it blanked.
std::size_t blank_function_bodies(std::string& text, bool backtick_strings);

}  // namespace slurp::engine
