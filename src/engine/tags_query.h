// One language's tags query, compiled once: the grammar, the query, what
// each capture means and the text predicates (#eq?, #match? and their
// negations) of each pattern. Patterns that capture only references are
// disabled: the engine lists definitions. Each language's is built on its
// first use (std::call_once); read-only after that, so any thread may use
// it with its own TSQueryCursor.
#pragma once

#include <tree_sitter/api.h>

#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "src/engine/language.h"

namespace slurp::engine {

enum class CaptureRole : std::uint8_t {
  ignored,     // @reference.*, @doc, @local.scope, ...
  name,        // @name
  definition,  // @definition.KIND
  scope,       // @scope: inside it is not top level
  comment,     // @comment
};

struct TextPredicate {
  std::uint32_t capture = 0;
  std::string text;  // #eq? operand
  std::regex pattern;
  bool is_regex = false;
  bool negated = false;
};

struct TagsQuery {
  const TSLanguage* grammar = nullptr;
  TSQuery* query = nullptr;        // never freed: lives as long as the process
  std::vector<CaptureRole> roles;  // by capture id
  std::vector<std::string> definition_kind;  // by capture id: "class", ...
  std::vector<std::vector<TextPredicate>> predicates;  // by pattern index
};

// nullptr for a language without a grammar. `tsx` picks the TSX grammar
// for TypeScript. Aborts if a query does not compile: the queries are
// built into the binary, so that is a bug caught by the first test.
const TagsQuery* tags_query(Language language, bool tsx);

// Whether a match satisfies its pattern's text predicates.
bool predicates_hold(const TagsQuery& q, const TSQueryMatch& match,
                     std::string_view source);

}  // namespace slurp::engine
