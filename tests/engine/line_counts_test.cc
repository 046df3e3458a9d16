#include "src/engine/line_counts.h"

#include <catch2/catch.hpp>

using slurp::engine::count_lines;
using slurp::engine::Language;
using slurp::engine::LineCounts;

// Every expectation below is what cloc 1.96 reports for the same bytes
// (`cloc --by-file --csv --quiet FILE`), unless the case says otherwise.

TEST_CASE("C: block comments, a trailing comment, a block closing before code",
          "[line_counts]") {
  constexpr auto kSource = R"src(/* Header comment
 * spanning lines.
 */
#include <stdio.h>

int main(void) {  /* trailing */
  // a line comment
  int x = 1; /* opens
  still comment
  */ x++;

  return x;
}
)src";
  CHECK(count_lines(Language::c, kSource) ==
        LineCounts{.code = 5, .comment = 6, .blank = 2});
}

TEST_CASE("C++: // comments, a URL in a string, one-line block",
          "[line_counts]") {
  constexpr auto kSource = R"src(// Copyright
#include <string>

namespace demo {
/// Doc comment.
std::string url() { return "http://example.com"; }  // trailing

/* one-line block */
int f();
}  // namespace demo
)src";
  CHECK(count_lines(Language::cpp, kSource) ==
        LineCounts{.code = 5, .comment = 3, .blank = 2});
}

TEST_CASE("Go: line and block comments", "[line_counts]") {
  constexpr auto kSource = R"src(// Package demo does things.
package demo

import "fmt"

/*
Block doc.
*/
func Hello() {
	fmt.Println("hi") // greet
}
)src";
  CHECK(count_lines(Language::go, kSource) ==
        LineCounts{.code = 5, .comment = 4, .blank = 2});
}

TEST_CASE("Python: shebang is code, docstrings are comments, '#' in a string",
          "[line_counts]") {
  constexpr auto kSource = R"src(#!/usr/bin/env python3
"""Module docstring.

Second paragraph.
"""
import os  # inline comment

# a full-line comment


def f(x):
    '''Function doc.'''
    s = "# not a comment"
    return s
)src";
  CHECK(count_lines(Language::python, kSource) ==
        LineCounts{.code = 5, .comment = 5, .blank = 4});
}

TEST_CASE("JavaScript: JSDoc block", "[line_counts]") {
  constexpr auto kSource = R"src(// Module.
const a = 1; // one

/**
 * JSDoc.
 */
function f() {
  return 'http://x';
}
)src";
  CHECK(count_lines(Language::javascript, kSource) ==
        LineCounts{.code = 4, .comment = 4, .blank = 1});
}

TEST_CASE("TypeScript: blank line inside a body", "[line_counts]") {
  constexpr auto kSource = R"src(/* c */
interface P {
  x: number; // px

}
// end
)src";
  CHECK(count_lines(Language::typescript, kSource) ==
        LineCounts{.code = 3, .comment = 2, .blank = 1});
}

TEST_CASE("Rust: doc comments; lifetimes are not strings", "[line_counts]") {
  constexpr auto kSource = R"src(//! Crate doc.
/// Item doc.
fn main<'a>(s: &'a str) {
    /* block */
    println!("{}", s); // print
}
)src";
  CHECK(count_lines(Language::rust, kSource) ==
        LineCounts{.code = 3, .comment = 3, .blank = 0});
}

TEST_CASE("Java: Javadoc", "[line_counts]") {
  constexpr auto kSource = R"src(/**
 * Javadoc.
 */
public class A {
  // field
  int x; /* c */

}
)src";
  CHECK(count_lines(Language::java, kSource) ==
        LineCounts{.code = 3, .comment = 4, .blank = 1});
}

TEST_CASE("shell: shebang is code, indented comment", "[line_counts]") {
  constexpr auto kSource = R"src(#!/bin/sh
# comment
set -e

  # indented comment
echo "$#" # count
)src";
  CHECK(count_lines(Language::shell, kSource) ==
        LineCounts{.code = 3, .comment = 2, .blank = 1});
}

TEST_CASE("CMake: '#' comments", "[line_counts]") {
  constexpr auto kSource = R"src(# Build.
cmake_minimum_required(VERSION 3.20)

project(demo) # name
)src";
  CHECK(count_lines(Language::cmake, kSource) ==
        LineCounts{.code = 2, .comment = 1, .blank = 1});
}

TEST_CASE("Markdown: HTML comments", "[line_counts]") {
  constexpr auto kSource = R"src(# Title

Text with <!-- inline --> comment.
<!-- whole line -->

- item
)src";
  CHECK(count_lines(Language::markdown, kSource) ==
        LineCounts{.code = 3, .comment = 1, .blank = 2});
}

TEST_CASE("YAML: '#' comments", "[line_counts]") {
  constexpr auto kSource = R"src(# config
a: 1  # one

b:
  - x
)src";
  CHECK(count_lines(Language::yaml, kSource) ==
        LineCounts{.code = 3, .comment = 1, .blank = 1});
}

TEST_CASE("TOML: '#' comments", "[line_counts]") {
  constexpr auto kSource = R"src(# top
[package]
name = "x"

)src";
  CHECK(count_lines(Language::toml, kSource) ==
        LineCounts{.code = 2, .comment = 1, .blank = 1});
}

TEST_CASE("JSON: no comments", "[line_counts]") {
  constexpr auto kSource = R"src({
  "a": "// no",

  "b": [1, 2]
}
)src";
  CHECK(count_lines(Language::json, kSource) ==
        LineCounts{.code = 4, .comment = 0, .blank = 1});
}

TEST_CASE("a block closing on a code line joins the line that opened it",
          "[line_counts]") {
  // cloc strips comments from the whole text, so these two lines become one.
  CHECK(count_lines(Language::c, "int x; /* a\n b */ int y;\nint z;\n") ==
        LineCounts{.code = 2, .comment = 1, .blank = 0});
  CHECK(count_lines(Language::c, "/* a\n b */ int y;\nint z;\n") ==
        LineCounts{.code = 2, .comment = 1, .blank = 0});
  CHECK(count_lines(Language::python, "x = f(\"\"\"\nab\n\"\"\")\n") ==
        LineCounts{.code = 1, .comment = 2, .blank = 0});
}

TEST_CASE("a block that never closes stays code, as in cloc", "[line_counts]") {
  CHECK(count_lines(Language::c, "int a;\n/* open\nint b;\n") ==
        LineCounts{.code = 3, .comment = 0, .blank = 0});
  CHECK(count_lines(Language::python, "x = 1\n\"\"\"open\ny = 2\n") ==
        LineCounts{.code = 3, .comment = 0, .blank = 0});
}

TEST_CASE("python lines holding /* or */ are comments, as in cloc",
          "[line_counts]") {
  CHECK(count_lines(Language::python, "y = \"a /* b\"\nz = 1\n") ==
        LineCounts{.code = 1, .comment = 1, .blank = 0});
}

TEST_CASE("a comment marker inside a C string starts no comment",
          "[line_counts]") {
  // Differs from plain cloc, which needs --strip-str-comments for this.
  CHECK(count_lines(Language::c, "char *s = \"/* no\";\nint y;\n/* z */\n") ==
        LineCounts{.code = 2, .comment = 1, .blank = 0});
  CHECK(count_lines(Language::cpp, "char q = '\"'; // c\nint y;\n") ==
        LineCounts{.code = 2, .comment = 0, .blank = 0});
}

TEST_CASE("line splitting: empty input, no final newline, CRLF",
          "[line_counts]") {
  CHECK(count_lines(Language::c, "") == LineCounts{});
  CHECK(count_lines(Language::c, "int x;") ==
        LineCounts{.code = 1, .comment = 0, .blank = 0});
  CHECK(count_lines(Language::shell, "echo\r\n\r\n# c\r\n") ==
        LineCounts{.code = 1, .comment = 1, .blank = 1});
  CHECK(count_lines(Language::unknown, "a\n\n# b\n") ==
        LineCounts{.code = 2, .comment = 0, .blank = 1});
}
