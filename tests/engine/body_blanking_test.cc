#include "src/engine/body_blanking.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

namespace slurp::engine {
namespace {

TEST_CASE("function bodies become blanks, lines kept", "[blanking]") {
  std::string text =
      "int f(int a) {\n  if (a) { return \"}\"; }\n  return '{';\n}\n"
      "struct S { int x; };\n"
      "void g() {\n#define INNER 1\n  /* } */ h();\n}\n";
  const std::string before = text;
  CHECK(blank_function_bodies(text, false) > 0);
  CHECK(text.size() == before.size());
  const auto count = [](const std::string& s, char c) {
    return std::count(s.begin(), s.end(), c);
  };
  CHECK(count(text, '\n') == count(before, '\n'));
  CHECK(text.find("return") == std::string::npos);
  CHECK(text.find("h();") == std::string::npos);
  CHECK(text.starts_with("int f(int a) {\n"));
  CHECK(text.find("\n}\nstruct S { int x; };\nvoid g() {\n#define INNER 1\n") !=
        std::string::npos);
}

TEST_CASE("a brace without a match, and macros, are left alone", "[blanking]") {
  std::string open = "void f() {\n  g();\n";
  CHECK(blank_function_bodies(open, false) == 0);
  std::string macro = "#define BEGIN(x) x() {\nint y;\n#define END }\n";
  CHECK(blank_function_bodies(macro, false) == 0);
}

}  // namespace
}  // namespace slurp::engine
