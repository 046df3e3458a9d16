// C and C++ conditional compilation, undone for the parser the way ctags
// reads it: tree-sitter parses `#if` only where a declaration or statement
// may stand, so one inside an initializer list or around half a function
// head (`#ifdef _WIN32 int f(a) { #else int f(b) { #endif`) breaks the
// tree for hundreds of lines. The directive lines become blanks; a group
// whose first branch leaves a brace or parenthesis open keeps only that
// branch; `#if 0` branches are dropped. Same length and lines as the
// input, so offsets and line numbers stay the file's. Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slurp::engine {

// nullopt when `content` has no conditional directive.
std::optional<std::string> blank_conditionals(std::string_view content);

// X when the file's first directive is `#ifndef X` and the next is
// `#define X` (an include guard), else "".
std::string include_guard(std::string_view content);

}  // namespace slurp::engine
