#include "src/engine/tags_query.h"

#include <array>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <mutex>

#include "src/engine/grammar_queries.h"

namespace slurp::engine {
namespace {

std::string_view capture_name(const TSQuery* q, std::uint32_t id) {
  std::uint32_t length = 0;
  const char* s = ts_query_capture_name_for_id(q, id, &length);
  return {s, length};
}

std::string_view string_value(const TSQuery* q, std::uint32_t id) {
  std::uint32_t length = 0;
  const char* s = ts_query_string_value_for_id(q, id, &length);
  return {s, length};
}

void read_captures(TagsQuery& t) {
  const std::uint32_t n = ts_query_capture_count(t.query);
  t.roles.assign(n, CaptureRole::ignored);
  t.definition_kind.assign(n, "");
  for (std::uint32_t id = 0; id < n; ++id) {
    const std::string_view name = capture_name(t.query, id);
    if (name == "name") t.roles[id] = CaptureRole::name;
    if (name == "scope") t.roles[id] = CaptureRole::scope;
    if (name == "comment") t.roles[id] = CaptureRole::comment;
    if (name.starts_with("definition.")) {
      t.roles[id] = CaptureRole::definition;
      t.definition_kind[id] = std::string(name.substr(11));
    }
  }
}

// Keeps the #eq?/#match? predicates (and negations) that compare one
// capture with a string; the tags files use no other text predicates that
// matter for definitions (#strip!, #select-adjacent! shape @doc, which is
// read off the tree instead).
void read_predicates(TagsQuery& t, std::uint32_t pattern) {
  std::uint32_t steps = 0;
  const TSQueryPredicateStep* s =
      ts_query_predicates_for_pattern(t.query, pattern, &steps);
  for (std::uint32_t k = 0; k < steps;) {
    std::uint32_t end = k;
    while (end < steps && s[end].type != TSQueryPredicateStepTypeDone) ++end;
    if (end - k == 3 && s[k].type == TSQueryPredicateStepTypeString &&
        s[k + 1].type == TSQueryPredicateStepTypeCapture &&
        s[k + 2].type == TSQueryPredicateStepTypeString) {
      const std::string_view op = string_value(t.query, s[k].value_id);
      TextPredicate p;
      p.capture = s[k + 1].value_id;
      p.text = std::string(string_value(t.query, s[k + 2].value_id));
      p.negated = op.starts_with("not-");
      p.is_regex = op.ends_with("match?");
      if (p.is_regex) p.pattern = std::regex(p.text);
      if (op.ends_with("eq?") || p.is_regex) {
        t.predicates[pattern].push_back(std::move(p));
      }
    }
    k = end + 1;
  }
}

TagsQuery* compile(const TSLanguage* grammar, std::string_view text) {
  auto* t = new TagsQuery;  // lives for the process, like the grammar
  t->grammar = grammar;
  std::uint32_t error_offset = 0;
  TSQueryError error = TSQueryErrorNone;
  t->query = ts_query_new(grammar, text.data(),
                          static_cast<std::uint32_t>(text.size()),
                          &error_offset, &error);
  if (t->query == nullptr) {
    std::fprintf(stderr, "tags query: error %d at byte %u: %.60s\n",
                 static_cast<int>(error), error_offset,
                 text.data() + error_offset);
    std::abort();
  }
  read_captures(*t);
  const std::uint32_t patterns = ts_query_pattern_count(t->query);
  t->predicates.resize(patterns);
  for (std::uint32_t p = 0; p < patterns; ++p) {
    read_predicates(*t, p);
    // A pattern whose text names no definition, scope or comment capture
    // finds references only: switched off, it costs the cursor nothing.
    const std::uint32_t begin = ts_query_start_byte_for_pattern(t->query, p);
    const std::uint32_t end =
        p + 1 < patterns ? ts_query_start_byte_for_pattern(t->query, p + 1)
                         : static_cast<std::uint32_t>(text.size());
    const std::string_view source = text.substr(begin, end - begin);
    if (source.find("@definition.") == std::string_view::npos &&
        source.find("@scope") == std::string_view::npos &&
        source.find("@comment") == std::string_view::npos) {
      ts_query_disable_pattern(t->query, p);
    }
  }
  return t;
}

}  // namespace

const TagsQuery* tags_query(Language language, bool tsx) {
  struct Entry {
    Language language;
    bool tsx;
    const TSLanguage* (*grammar)();
    const std::string_view* text;
  };
  static const Entry kEntries[] = {
      {Language::c, false, tree_sitter_c, &kTagsQuery_c},
      {Language::cpp, false, tree_sitter_cpp, &kTagsQuery_cpp},
      {Language::go, false, tree_sitter_go, &kTagsQuery_go},
      {Language::java, false, tree_sitter_java, &kTagsQuery_java},
      {Language::javascript, false, tree_sitter_javascript,
       &kTagsQuery_javascript},
      {Language::python, false, tree_sitter_python, &kTagsQuery_python},
      {Language::rust, false, tree_sitter_rust, &kTagsQuery_rust},
      {Language::typescript, false, tree_sitter_typescript,
       &kTagsQuery_typescript},
      {Language::typescript, true, tree_sitter_tsx, &kTagsQuery_typescript},
  };
  constexpr std::size_t kCount = std::size(kEntries);
  // Each compiled on its first use (tens of milliseconds for the larger
  // ones: a tree of one language pays for that one only), then read-only.
  static std::array<std::once_flag, kCount> once;
  static std::array<const TagsQuery*, kCount> compiled{};
  const bool want_tsx = tsx && language == Language::typescript;
  for (std::size_t k = 0; k < kCount; ++k) {
    if (kEntries[k].language == language && kEntries[k].tsx == want_tsx) {
      std::call_once(once[k], [k] {
        compiled[k] = compile(kEntries[k].grammar(), *kEntries[k].text);
      });
      return compiled[k];
    }
  }
  return nullptr;
}

bool predicates_hold(const TagsQuery& q, const TSQueryMatch& match,
                     std::string_view source) {
  for (const TextPredicate& p : q.predicates[match.pattern_index]) {
    for (std::uint16_t k = 0; k < match.capture_count; ++k) {
      const TSQueryCapture& c = match.captures[k];
      if (c.index != p.capture) continue;
      const std::uint32_t begin = ts_node_start_byte(c.node);
      const std::string_view text =
          source.substr(begin, ts_node_end_byte(c.node) - begin);
      const bool hit =
          p.is_regex ? std::regex_search(text.begin(), text.end(), p.pattern)
                     : text == p.text;
      if (hit == p.negated) return false;
    }
  }
  return true;
}

}  // namespace slurp::engine
