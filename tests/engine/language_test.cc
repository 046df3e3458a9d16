#include "src/engine/language.h"

#include <catch2/catch.hpp>
#include <string>

using slurp::engine::detect_language;
using slurp::engine::Language;
using slurp::engine::language_name;
using slurp::engine::looks_binary;

TEST_CASE("language by file name and extension", "[language]") {
  CHECK(detect_language("CMakeLists.txt", "") == Language::cmake);
  CHECK(detect_language("a/b/CMakeLists.txt", "") == Language::cmake);
  CHECK(detect_language("cmake/Find.cmake", "") == Language::cmake);
  CHECK(detect_language("Makefile", "all:\n") == Language::unknown);
  CHECK(detect_language("x.c", "int x;") == Language::c);
  CHECK(detect_language("x.cc", "") == Language::cpp);
  CHECK(detect_language("x.cpp", "") == Language::cpp);
  CHECK(detect_language("x.cxx", "") == Language::cpp);
  CHECK(detect_language("x.hpp", "") == Language::cpp);
  CHECK(detect_language("x.hh", "") == Language::cpp);
  CHECK(detect_language("x.hxx", "") == Language::cpp);
  CHECK(detect_language("bits/regex_automaton.tcc", "") == Language::cpp);
  CHECK(detect_language("detail/lookup_table.ipp", "") == Language::cpp);
  CHECK(detect_language("x.inl", "") == Language::cpp);
  CHECK(detect_language("x.c++", "") == Language::cpp);
  CHECK(detect_language("x.h++", "") == Language::cpp);
  CHECK(detect_language("zmq/backend/cython/socket.pxd", "") ==
        Language::python);
  CHECK(detect_language("zmq/tests/cython_ext.pyx", "") == Language::python);
  CHECK(detect_language("constant_enums.pxi", "") == Language::python);
  CHECK(detect_language("main.go", "") == Language::go);
  CHECK(detect_language("m.py", "") == Language::python);
  CHECK(detect_language("m.js", "") == Language::javascript);
  CHECK(detect_language("m.mjs", "") == Language::javascript);
  CHECK(detect_language("m.cjs", "") == Language::javascript);
  CHECK(detect_language("m.jsx", "") == Language::javascript);
  CHECK(detect_language("m.ts", "") == Language::typescript);
  CHECK(detect_language("m.tsx", "") == Language::typescript);
  CHECK(detect_language("lib.rs", "") == Language::rust);
  CHECK(detect_language("A.java", "") == Language::java);
  CHECK(detect_language("run.sh", "") == Language::shell);
  CHECK(detect_language("run.bash", "") == Language::shell);
  CHECK(detect_language("README.md", "") == Language::markdown);
  CHECK(detect_language("x.markdown", "") == Language::markdown);
  CHECK(detect_language("ci.yml", "") == Language::yaml);
  CHECK(detect_language("ci.yaml", "") == Language::yaml);
  CHECK(detect_language("Cargo.toml", "") == Language::toml);
  CHECK(detect_language("package.json", "") == Language::json);
  CHECK(detect_language("notes.txt", "hello") == Language::unknown);
}

TEST_CASE("a .h file is C unless its content looks like C++", "[language]") {
  CHECK(detect_language("x.h", "int f(void);\n") == Language::c);
  CHECK(detect_language("x.h", "namespace a {}\n") == Language::cpp);
  CHECK(detect_language("x.h", "class A {};\n") == Language::cpp);
  CHECK(detect_language("x.h", "template <typename T> T f();\n") ==
        Language::cpp);
  CHECK(detect_language("x.h", "std::string s();\n") == Language::cpp);
}

TEST_CASE("language by shebang when the name says nothing", "[language]") {
  CHECK(detect_language("tool", "#!/usr/bin/env python3\nprint(1)\n") ==
        Language::python);
  CHECK(detect_language("tool", "#!/usr/bin/python3 -u\n") == Language::python);
  CHECK(detect_language("tool", "#!/bin/sh\necho\n") == Language::shell);
  CHECK(detect_language("tool", "#!/bin/bash\n") == Language::shell);
  CHECK(detect_language("tool", "#!/usr/bin/env bash\n") == Language::shell);
  CHECK(detect_language("tool", "#!/usr/bin/env node\n") ==
        Language::javascript);
  CHECK(detect_language("tool", "#!/usr/bin/perl\n") == Language::unknown);
}

TEST_CASE("light content sniffing as the last resort", "[language]") {
  CHECK(detect_language("data", "{\n  \"a\": 1\n}\n") == Language::json);
  const std::string c_body = "int x;\nint y;\nint f(void) {\n}\n";
  CHECK(detect_language("src", "#include <stdio.h>\n#include <a.h>\n" +
                                   c_body) == Language::c);
  CHECK(detect_language("src", "#include <vector>\nstd::vector<int> v;\n" +
                                   c_body) == Language::cpp);
  CHECK(detect_language("x", "package main\n\nfunc main() {}\n") ==
        Language::go);
  CHECK(detect_language("x", "") == Language::unknown);
}

TEST_CASE("language names", "[language]") {
  CHECK(language_name(Language::unknown).empty());
  CHECK(language_name(Language::c) == "c");
  CHECK(language_name(Language::cpp) == "cpp");
  CHECK(language_name(Language::python) == "python");
  CHECK(language_name(Language::javascript) == "javascript");
  CHECK(language_name(Language::typescript) == "typescript");
  CHECK(language_name(Language::shell) == "shell");
  CHECK(language_name(Language::json) == "json");
}

TEST_CASE("binary content", "[language]") {
  using namespace std::string_literals;
  CHECK_FALSE(looks_binary(""));
  CHECK_FALSE(looks_binary("int x;\n\tint y;\r\n"));
  CHECK_FALSE(looks_binary("caf\xc3\xa9 na\xc3\xafve\n"));
  CHECK(looks_binary("ab\0cd"s));
  CHECK(looks_binary("\x01\x02\x03\x04text"));
  // A NUL after the first 8 KiB is not looked at.
  CHECK_FALSE(looks_binary(std::string(8 * 1024, 'a') + "\0"s));
}

TEST_CASE("binary content: every offset and the 10% line", "[language]") {
  // The scan goes in blocks of 64 bytes and then byte by byte: a NUL is
  // found wherever it falls.
  for (std::size_t at = 0; at < 300; ++at) {
    std::string text(300, 'a');
    text[at] = '\0';
    CHECK(looks_binary(text));
  }
  // Exactly 10% control bytes is still text; one more makes it binary.
  std::string text(1000, 'a');
  for (std::size_t k = 0; k < 100; ++k) text[k * 10 + 3] = '\x01';
  CHECK_FALSE(looks_binary(text));
  text[999] = '\x7f';
  CHECK(looks_binary(text));
  // Whitespace controls (tab, newline, vertical tab, form feed, carriage
  // return) never count; the ones around them do.
  CHECK_FALSE(looks_binary(std::string(200, '\t') + std::string(200, '\v') +
                           std::string(200, '\r') + std::string(200, '\f')));
  CHECK(looks_binary(std::string(200, '\x08')));
  CHECK(looks_binary(std::string(200, '\x0e')));
  CHECK(looks_binary(std::string(200, '\x1f')));
  CHECK_FALSE(looks_binary(std::string(200, ' ')));
}

// Issue 15: files of other languages that quote C were read as C, and
// Markdown with front matter as YAML.
TEST_CASE("Other languages' files are not sniffed", "[language]") {
  const std::string_view c_test = "#include <stdio.h>\nint main(void) {\n";
  for (const std::string_view path :
       {"m4/curl-functions.m4", "tests/runtests.pl", "src/Makefile.am",
        "lib/libcurl.rc", "tests/test1.expected", "Makefile", "kernel.cu"}) {
    CAPTURE(path);
    CHECK(detect_language(path, c_test) == Language::unknown);
  }
  // cloc's readings: MDX is Markdown, a .in template is its inner file.
  CHECK(detect_language("docs/intro.mdx", "---\ntitle: Intro\n---\n# Hi\n") ==
        Language::markdown);
  CHECK(detect_language("cmake/fmt-config.cmake.in", "") == Language::cmake);
  CHECK(detect_language("include/config.h.in", c_test) == Language::c);
  CHECK(detect_language(".clang-format", "BasedOnStyle: Google\n") ==
        Language::yaml);
  // Without an extension, one #include line is not enough for C.
  CHECK(detect_language("script", "#include <x.h>\nsome text\n") ==
        Language::unknown);
  CHECK(detect_language("noext",
                        "#include <stdio.h>\n#include <x.h>\n"
                        "int a;\nint b;\nint f(void) {\n}\n") == Language::c);
}

TEST_CASE("A C header with \"class \" in a comment stays C", "[language]") {
  CHECK(detect_language("zlib.h",
                        "/* the class of this stream */\n"
                        "// namespace of names\nint deflate(void);\n") ==
        Language::c);
  CHECK(detect_language("a.h", "namespace a { int f(); }\n") == Language::cpp);
}

TEST_CASE("A header is C++ by what it includes and past its comments",
          "[language]") {
  CHECK(detect_language("gtest.h", "#include <vector>\nint f();\n") ==
        Language::cpp);
  CHECK(detect_language("a.h", "#include <stdio.h>\n#include <sys/x.h>\n") ==
        Language::c);
  const std::string late =
      "/*" + std::string(20000, 'x') + "*/\n" + "namespace testing {}\n";
  CHECK(detect_language("gtest.h", late) == Language::cpp);
}
