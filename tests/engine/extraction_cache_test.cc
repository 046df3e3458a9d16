#include "src/engine/extraction_cache.h"

#include <catch2/catch.hpp>
#include <string>

#include "src/engine/symbols.h"
#include "tests/engine/symbol_maker.h"

namespace slurp::engine {
namespace {

Extraction with_symbol(const std::string& name) {
  Extraction e;
  e.symbols.push_back({name, "function", 1});
  return e;
}

TEST_CASE("Cache: the same bytes and variant find their extraction",
          "[cache]") {
  ExtractionCache cache(8, 1u << 20);
  cache.insert(1, "int f(void);", with_symbol("f"));
  const auto hit = cache.find(1, "int f(void);");
  REQUIRE(hit);
  CHECK(hit->symbols == with_symbol("f").symbols);
  // Other bytes, or the same bytes read as another language, miss.
  CHECK_FALSE(cache.find(1, "int g(void);"));
  CHECK_FALSE(cache.find(2, "int f(void);"));
}

TEST_CASE("Cache: least recently used out first, by entries and by bytes",
          "[cache]") {
  ExtractionCache cache(2, 1u << 20);
  cache.insert(1, "a", with_symbol("a"));
  cache.insert(1, "b", with_symbol("b"));
  CHECK(cache.find(1, "a"));  // b is now the least recently used
  cache.insert(1, "c", with_symbol("c"));
  CHECK(cache.entries() == 2);
  CHECK(cache.find(1, "a"));
  CHECK_FALSE(cache.find(1, "b"));
  CHECK(cache.find(1, "c"));

  const std::string big(4096, 'x');
  ExtractionCache small(100, 3 * big.size());
  small.insert(1, big + "1", with_symbol("one"));
  small.insert(1, big + "2", with_symbol("two"));
  small.insert(1, big + "3", with_symbol("three"));
  CHECK(small.bytes() <= 3 * big.size());
  CHECK_FALSE(small.find(1, big + "1"));
  CHECK(small.find(1, big + "3"));
  // An entry larger than the whole bound is not kept.
  small.insert(1, std::string(4 * big.size(), 'y'), with_symbol("huge"));
  CHECK_FALSE(small.find(1, std::string(4 * big.size(), 'y')));
}

TEST_CASE("extract: a copy of a file gets the same extraction", "[cache]") {
  std::string text = "/* A reader. */\n#include <stdio.h>\n";
  while (text.size() < 2 * extract_cache_content_bytes_min) {
    text += "int f" + std::to_string(text.size()) + "(void);\n";
  }
  const Extraction first = extract(Language::c, text, "a/x.h");
  const Extraction again = extract(Language::c, text, "b/x.h");
  CHECK(again.symbols == first.symbols);
  CHECK(again.imports == first.imports);
  CHECK(again.doc_summary == first.doc_summary);
  // The same bytes as C++ are read as C++.
  const Extraction cpp = extract(Language::cpp, text, "c/x.h");
  CHECK(cpp.symbols == first.symbols);
}

}  // namespace
}  // namespace slurp::engine
