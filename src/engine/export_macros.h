// C and C++ headers put an export macro between `class` and the name
// (`class ZMQ_EXPORT socket_t : ...`); with no preprocessor, tree-sitter
// takes the macro for the name and loses the class. These functions find
// such macros so the parser sees blanks in their place: same length, so
// every byte offset and line stays what it is in the file. Pure; any
// thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slurp::engine {

// An ALL_CAPS identifier (letters, digits, '_', at least 3 bytes and one
// letter) after `class`, `struct` or `union` and before another
// identifier.
bool is_export_macro_name(std::string_view word);

// An export, linkage or attribute macro by its name: ALL_CAPS and naming
// one (CURL_EXTERN, ZMQ_EXPORT, FMT_API, GTEST_API_, FMT_CONSTEXPR, ...).
bool is_attribute_macro_name(std::string_view word);

// `content` with those macros replaced by spaces, and namespace macros
// undone: `FMT_BEGIN_NAMESPACE` alone on a line is blanked (what it opens
// reads as top level, as ctags reads it) and `MSGPACK_API_VERSION_
// NAMESPACE(v1) {` reads as `namespace v1 {`. nullopt when there is
// nothing to undo (the common case costs no copy).
std::optional<std::string> blank_export_macros(std::string_view content);

}  // namespace slurp::engine
