// Hostile and odd inputs through the whole engine (language, counts,
// symbols): no crash, bounded output, linear time. The time bound is
// generous (a regression to quadratic takes minutes, not seconds); speed
// itself is measured by `slurp-bench --phases engine`.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "src/engine/language.h"
#include "src/engine/line_counts.h"
#include "src/engine/symbols.h"

namespace slurp::engine {
namespace {

double seconds_to_analyse(const std::string& path, const std::string& content) {
  const auto start = std::chrono::steady_clock::now();
  const Language language = detect_language(path, content);
  const LineCounts counts = count_lines(language, content);
  const Extraction x = extract(language, content, path);
  CHECK(counts.code + counts.comment + counts.blank > 0);
  CHECK(x.symbols.size() <= extract_symbols_max);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// Pseudo-random bytes: linear congruential, fixed seed.
std::string noise(std::size_t bytes, std::uint32_t seed) {
  std::string out(bytes, '\0');
  for (auto& c : out) {
    seed = seed * 1103515245u + 12345u;
    c = static_cast<char>(seed >> 24);
  }
  return out;
}

TEST_CASE("2 MB of unclosed /* on every line is linear", "[robust][slow]") {
  // Issue 15: 1.7 MB like this took 25-52 s when each "/*" searched the
  // rest of the file for its "*/".
  std::string src;
  while (src.size() < (2u << 20)) src += "int a; /* open comment\n";
  src += "*/\n";  // one close at the very end: every open is a candidate
  std::string py;
  while (py.size() < (2u << 20)) py += "x = '''\n";
  for (const auto& [path, content] :
       {std::pair{"worst.c", src}, std::pair{"worst.py", py}}) {
    CAPTURE(path);
    CHECK(seconds_to_analyse(path, content) < 20.0);
  }
}

TEST_CASE("A 40 MB file: past the parse bound, tokenized in linear time",
          "[robust][slow]") {
  // Over tree_parse_bytes_max the hand-written tokenizer takes the file,
  // over extract_content_bytes_max only its head; counts cover it all.
  const std::string unit = "int f(int a) { return a; }\n";
  std::string src;
  src.reserve((40u << 20) + unit.size());
  while (src.size() < (40u << 20)) src += unit;
  const std::uint64_t units = src.size() / unit.size();
  const auto start = std::chrono::steady_clock::now();
  const Language language = detect_language("big.c", src);
  const LineCounts counts = count_lines(language, src);
  const Extraction x = extract(language, src, "big.c");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  CHECK(counts == LineCounts{units, 0, 0});
  REQUIRE(x.symbols.size() == extract_symbols_max);
  CHECK(x.symbols.back().line == extract_symbols_max);
  CHECK(x.symbols.front().signature.empty());  // not from a tree
  CHECK(seconds < 60.0);
}

TEST_CASE("Minified JavaScript: one 1 MB line", "[robust]") {
  std::string js;
  for (int k = 0; js.size() < (1u << 20); ++k) {
    js += "function f" + std::to_string(k) + "(a){return a+" +
          std::to_string(k) + "};var v" + std::to_string(k) + "=`x${a}`;";
  }
  const Extraction x = extract(Language::javascript, js, "app.min.js");
  CHECK(x.symbols.size() > 1000);
  CHECK(x.symbols.front().line == 1);
  CHECK(count_lines(Language::javascript, js) == LineCounts{1, 0, 0});
}

TEST_CASE("Binary and invalid UTF-8 never crash a parser", "[robust]") {
  // Small: error recovery on noise crawls (~0.1 MB/s), which the parse
  // timeout bounds; crashes show at any size.
  const std::string bytes = noise(1 << 14, 7);
  for (const char* path : {"a.c", "a.cc", "a.py", "a.go", "a.js", "a.ts",
                           "a.tsx", "a.rs", "a.java", "a.sh", "a.md"}) {
    CAPTURE(path);
    seconds_to_analyse(path, bytes);
  }
  CHECK(looks_binary(bytes));
  // Latin-1 names come out as UTF-8.
  const Extraction x =
      extract(Language::c, "/* x */\nint caf\xe9(void);\n", "a.c");
  REQUIRE(x.symbols.size() == 1);
  CHECK(x.symbols[0].name == "caf\xc3\xa9");
  CHECK(x.symbols[0].line == 2);
}

}  // namespace
}  // namespace slurp::engine
