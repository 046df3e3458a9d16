// Which programming language a file holds, decided from its path and
// bytes alone. Pure functions; any thread.
#pragma once

#include <string_view>

namespace slurp::engine {

enum class Language {
  unknown,
  c,
  cpp,
  go,
  python,
  javascript,
  typescript,
  rust,
  java,
  shell,
  cmake,
  markdown,
  yaml,
  toml,
  json,
};

// The lower-case name ("cpp", "python", ...); "" for unknown.
std::string_view language_name(Language language);

// By file name (CMakeLists.txt), then extension; an extension or name of
// another language (.m4, .pl, .mdx, Makefile.am, ...) is unknown with no
// look at the content. Only without one: the shebang, then a light look
// at the content (C takes an #include and C-shaped lines, never one
// #include alone). A ".h" file is C unless its code outside comments
// looks like C++.
Language detect_language(std::string_view path, std::string_view content);

// True for a NUL byte in the first 8 KiB, or when more than 10% of those
// bytes are control characters other than whitespace.
bool looks_binary(std::string_view content);

}  // namespace slurp::engine
