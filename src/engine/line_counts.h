// Code, comment and blank line counts, by the rules of cloc 1.96 (run
// without --strip-str-comments) wherever they are cheap to follow; see
// line_counts.cc for the known differences. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "src/engine/language.h"

namespace slurp::engine {

struct LineCounts {
  std::uint64_t code = 0;
  std::uint64_t comment = 0;
  std::uint64_t blank = 0;

  friend bool operator==(const LineCounts&, const LineCounts&) = default;
};

// A line is blank when it holds only whitespace (even inside a block
// comment), comment when it holds only comments, and code otherwise. A
// final line without '\n' counts; "" has no lines. Unknown languages and
// JSON have no comments.
LineCounts count_lines(Language language, std::string_view content);

}  // namespace slurp::engine
