#include "src/engine/parse_ranges.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace slurp::engine {
namespace {

// The text with the skipped bytes removed: what the parser reads.
std::string read_part(std::string_view text, Language language) {
  std::string out;
  std::size_t at = 0;
  for (const SkippedSpan& s : skipped_bodies(text, language)) {
    REQUIRE(s.begin >= at);
    REQUIRE(s.begin < s.end);
    out.append(text.substr(at, s.begin - at));
    at = s.end;
  }
  out.append(text.substr(at));
  return out;
}

TEST_CASE("C: bodies are skipped, namespaces and extern \"C\" are read",
          "[ranges]") {
  const std::string text =
      "namespace a {\n"
      "int f(int x) { if (x) { return '}'; } return \"{\"; }\n"
      "struct S { int y; };\n"
      "}  // namespace a\n"
      "extern \"C\" {\n"
      "void g(void) { /* } */ h(); }\n"
      "}\n";
  CHECK(read_part(text, Language::cpp) ==
        "namespace a {\n"
        "int f(int x) {}\n"
        "struct S {};\n"
        "}  // namespace a\n"
        "extern \"C\" {\n"
        "void g(void) {}\n"
        "}\n");
}

TEST_CASE("C: spans carry rows and byte columns", "[ranges]") {
  const std::string text = "int f() {\n  return 1;\n}\nint g() { }\n";
  const std::vector<SkippedSpan> spans = skipped_bodies(text, Language::c);
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].begin == 9);
  CHECK(spans[0].begin_point == TextPoint{0, 9});
  CHECK(spans[0].end_point == TextPoint{2, 0});
  CHECK(spans[1].begin_point == TextPoint{3, 9});
  CHECK(spans[1].end_point == TextPoint{3, 10});
}

TEST_CASE("C: a #define inside a body is read, with the comment above it",
          "[ranges]") {
  const std::string text =
      "struct flags {\n  int bits;\n  /* the first */\n"
      "#define FIRST \\\n  (1 << 0)\n  int more;\n};\n";
  CHECK(read_part(text, Language::c) ==
        "struct flags {  /* the first */\n#define FIRST \\\n  (1 << 0)\n};\n");
}

TEST_CASE("C: a C parameter named namespace is no namespace", "[ranges]") {
  CHECK(read_part("int f(char *namespace) { return 0; }\n", Language::c) ==
        "int f(char *namespace) {}\n");
  // A macro call without a semicolon before a namespace does not hide it.
  CHECK(read_part("PUSH_(4244)\nnamespace t {\nint f() { x; }\n}\n",
                  Language::cpp) ==
        "PUSH_(4244)\nnamespace t {\nint f() {}\n}\n");
}

TEST_CASE("C: raw strings, digit separators, directives", "[ranges]") {
  const std::string text =
      "auto s = R\"x(})x\";\nint n = 1'000;\n#define OPEN {\n"
      "void f() { g('{'); }\n";
  CHECK(read_part(text, Language::cpp) ==
        "auto s = R\"x(})x\";\nint n = 1'000;\n#define OPEN {\nvoid f() {}\n");
}

TEST_CASE("A brace without a match ends the skipping", "[ranges]") {
  CHECK(skipped_bodies("void f() {\n  g();\n", Language::c).empty());
  const std::string text = "int a() { }\nvoid f() {\n  g();\n";
  CHECK(read_part(text, Language::c) == "int a() {}\nvoid f() {\n  g();\n");
}

TEST_CASE("JavaScript: regular expressions and templates hold no braces",
          "[ranges]") {
  const std::string text =
      "const re = /[}]{2}\\//g;\n"
      "function f(a) { return a / 2 / `${ {b: 1}.b }}`; }\n"
      "const t = `x${ `y${ 1 }` }}`;\n"
      "class C { m() { return '}'; } }\n";
  CHECK(read_part(text, Language::javascript) ==
        "const re = /[}]{2}\\//g;\n"
        "function f(a) {}\n"
        "const t = `x${ `y${ 1 }` }}`;\n"
        "class C {}\n");
}

TEST_CASE("Rust: mod and extern blocks are read, impl bodies skipped",
          "[ranges]") {
  const std::string text =
      "mod m {\n  fn f<'a>(x: &'a str) -> char { '{' }\n}\n"
      "impl X { fn g() {} }\n"
      "extern \"C\" { fn h(); }\n"
      "const S: &str = r#\"}\"#;\n";
  CHECK(read_part(text, Language::rust) ==
        "mod m {\n  fn f<'a>(x: &'a str) -> char {}\n}\n"
        "impl X {}\n"
        "extern \"C\" { fn h(); }\n"
        "const S: &str = r#\"}\"#;\n");
}

TEST_CASE("Go and Java: every top-level brace is skipped", "[ranges]") {
  CHECK(read_part("type T struct {\n\tA int\n}\nvar s = `}`\n", Language::go) ==
        "type T struct {}\nvar s = `}`\n");
  CHECK(read_part("class A { String s = \"\"\"\n}\"\"\"; }\n",
                  Language::java) == "class A {}\n");
}

TEST_CASE(
    "Python: bodies after their first statement, which may be a "
    "docstring",
    "[ranges]") {
  const std::string text =
      "def f(a,\n      b):\n"
      "    \"\"\"Doc.\n\nMore, at column 0.\"\"\"\n"
      "    x = (1,\n2)\n"
      "    return x\n"
      "\n"
      "# About g.\n"
      "class G:\n"
      "    @property\n"
      "    def p(self):\n"
      "        return 1\n"
      "        # trailing\n"
      "    y = 2\n"
      "def h(): return 3\n";
  CHECK(read_part(text, Language::python) ==
        "def f(a,\n      b):\n"
        "    \"\"\"Doc.\n\nMore, at column 0.\"\"\"\n"
        "\n"
        "# About g.\n"
        "class G:\n"
        "    @property\n"
        "    def p(self):\n"
        "        return 1\n"
        "        # trailing\n"
        "    y = 2\n"
        "def h(): return 3\n");
}

TEST_CASE("Languages without a grammar get no spans", "[ranges]") {
  CHECK(skipped_bodies("f() { echo; }\n", Language::shell).empty());
  CHECK(skipped_bodies("a: {b: 1}\n", Language::yaml).empty());
}

TEST_CASE("Hostile inputs are linear", "[ranges][robust]") {
  // A `/` that may start a regular expression on a 2 MB line, `MACRO(`
  // without a `)`, and braces that never close.
  std::string slashes = "x = ";
  while (slashes.size() < (2u << 20)) slashes += "(/a";
  std::string opens;
  while (opens.size() < (2u << 20)) opens += "f() {";
  const auto start = std::chrono::steady_clock::now();
  CHECK(skipped_bodies(slashes, Language::javascript).empty());
  CHECK(skipped_bodies(opens, Language::c).empty());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  CHECK(seconds < 5.0);
}

}  // namespace
}  // namespace slurp::engine
