#include "src/engine/symbols.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "src/engine/tree_symbols.h"
#include "tests/engine/symbol_maker.h"

namespace slurp::engine {
namespace {

using Symbols = std::vector<ExtractedSymbol>;
using Strings = std::vector<std::string>;

TEST_CASE("C: prototypes, typedefs, aggregates, macros, includes",
          "[symbols][c]") {
  const auto x = extract(Language::c, R"(/*
    Copyright (c) 2007-2016 Contributors as noted in the AUTHORS file
*/
/* Tiny zmq-like header. It has two sentences. */
#include <errno.h>
#include "zmq_utils.h"
#define ZMQ_VERSION_MAJOR 4
#define ZMQ_MAKE_VERSION(major, minor) \
    ((major) * 10000 + (minor) * 100)
typedef struct zmq_msg_t {
    unsigned char _[64];
} zmq_msg_t;
typedef void(zmq_free_fn) (void *data_, void *hint_);
typedef void (*zmq_thread_fn) (void *);
ZMQ_EXPORT int zmq_errno (void);
__attribute__((visibility("default"))) const char *zmq_strerror (int errnum_);
enum color { red, green };
union value { int i; double d; };
struct point;
static int counter = 0;
static int add (int a, int b)
{
    const char *s = "int fake(void) {"; // TODO: remove the fake
    return a + b;
}
)");
  CHECK(x.symbols == Symbols{{"ZMQ_VERSION_MAJOR", "macro", 7},
                             {"ZMQ_MAKE_VERSION", "macro", 8},
                             {"zmq_msg_t", "struct", 10},
                             {"zmq_msg_t", "type", 12},
                             {"zmq_free_fn", "type", 13},
                             {"zmq_thread_fn", "type", 14},
                             {"zmq_errno", "function", 15},
                             {"zmq_strerror", "function", 16},
                             {"color", "enum", 17},
                             {"value", "union", 18},
                             {"add", "function", 21}});
  CHECK(x.imports == Strings{"errno.h", "zmq_utils.h"});
  CHECK(x.doc_summary == "Tiny zmq-like header.");
  CHECK(x.todos == Strings{"remove the fake"});
}

TEST_CASE("C++: namespaces, classes, templates, operators, aliases",
          "[symbols][cpp]") {
  const auto x = extract(Language::cpp, R"(// Socket wrappers.
#pragma once
#include <string_view>
namespace zmq {
namespace detail {
template<class T, class = void> struct is_range : std::false_type
{
    void member();
};
}  // namespace detail
using fd_t = int;
template<class T> using vec = std::vector<T>;
class ZMQ_EXPORT socket_t final : public detail::base
{
  public:
    socket_t() = default;
    int fd() const { return 1; }
};
enum class event_flags : short { none = 0 };
ZMQ_DEPRECATED("use the other one")
inline void proxy(void *frontend, void *backend)
{
}
inline bool operator==(std::nullptr_t, socket_ref sr) ZMQ_NOTHROW
{
    return sr.handle() == nullptr;
}
template <> inline void check<4>(std::size_t size) {}
int socket_t::fd_of(int x) { return x; }
std::string raw = R"raw(int not_a_function();)raw";
}
extern "C" {
int c_linkage(void);
}
MSGPACK_API_VERSION_NAMESPACE(v1) {
struct object {};
}
)");
  CHECK(x.symbols == Symbols{{"zmq", "module", 4},
                             {"detail", "module", 5},
                             {"is_range", "struct", 6},
                             {"fd_t", "type", 11},
                             {"vec", "type", 12},
                             {"socket_t", "class", 13},
                             {"event_flags", "enum", 19},
                             {"proxy", "function", 21},
                             {"operator==", "function", 24},
                             {"check", "function", 28},
                             {"socket_t::fd_of", "method", 29},
                             {"c_linkage", "function", 33},
                             {"v1", "module", 35},
                             {"object", "struct", 36}});
  CHECK(x.imports == Strings{"string_view"});
  CHECK(x.doc_summary == "Socket wrappers.");
}

TEST_CASE("Python: top-level defs and classes, imports, docstring",
          "[symbols][python]") {
  const auto x = extract(Language::python, R"(#!/usr/bin/env python3
"""Fallback pure Python implementation of msgpack.

More text here.
"""
import sys, os.path as osp
from io import BytesIO as StringIO
from . import exceptions
if sys.version_info < (3,):
    def _hint(size):
        return []
else:
    newlist_hint = lambda size: []

class Unpacker(object):
    """def not_a_def(): pass"""
    def feed(self, next_bytes):
        def inner():
            pass
        # FIXME(alice): slow path
        return (1,
def_in_paren)

async def fetch(url):
    import json
    x = '''
def fake(): pass
'''
)");
  CHECK(x.symbols == Symbols{{"_hint", "function", 10},
                             {"newlist_hint", "function", 13},
                             {"Unpacker", "class", 15},
                             {"fetch", "function", 24}});
  CHECK(x.imports == Strings{"sys", "os.path", "io", ".", "json"});
  CHECK(x.doc_summary == "Fallback pure Python implementation of msgpack.");
  CHECK(x.todos == Strings{"slow path"});
}

TEST_CASE("Go: funcs, methods, types, groups, imports", "[symbols][go]") {
  const auto x = extract(
      Language::go, R"(// Package raft implements the Raft consensus algorithm.
package raft

import "errors"

import (
	"context"
	pb "go.etcd.io/raft/v3/raftpb"
)

const noLimit = 1<<63 - 1

var (
	ErrStepLocalMsg = errors.New("raft: cannot step raft local message")
	errBreak        = errors.New("break")
)

type (
	StateType uint64
	Peer      struct {
		ID      uint64
		Context []byte
	}
)

type Node interface {
	Tick()
}

type Ready[T any] struct{ x T }

func (rn *RawNode) Tick() {
	s := `func fake() {}`
	_ = s
}

func NewRawNode(config *Config) (*RawNode, error) {
	return nil, nil
}
)");
  CHECK(x.symbols == Symbols{{"noLimit", "variable", 11},
                             {"ErrStepLocalMsg", "variable", 14},
                             {"errBreak", "variable", 15},
                             {"StateType", "type", 19},
                             {"Peer", "struct", 20},
                             {"Node", "interface", 26},
                             {"Ready", "struct", 30},
                             {"Tick", "method", 32},
                             {"NewRawNode", "function", 37}});
  CHECK(x.imports == Strings{"errors", "context", "go.etcd.io/raft/v3/raftpb"});
  CHECK(x.doc_summary ==
        "Package raft implements the Raft consensus algorithm.");
}

// pyzmq's zmq/backend/cython/socket.pxd, cut down: .pxd/.pyx files are
// read as Python, with Cython's `cimport` and `cdef class`.
TEST_CASE("Python: Cython declarations", "[symbols][python]") {
  const auto x =
      extract(Language::python, R"("""0MQ Socket class declaration."""

from .context cimport Context
cimport cython

cdef class Socket:

    cdef object __weakref__     # enable weakref
    cdef void *handle           # The C handle for the underlying zmq object.
    cpdef object send(self, object data, int flags=*, copy=*, track=*)

cpdef int check_rc(int rc) except -1
)",
              "zmq/backend/cython/socket.pxd");
  CHECK(x.symbols == Symbols{{"Socket", "class", 6}});
  CHECK(x.imports == Strings{".context", "cython"});
  CHECK(x.doc_summary == "0MQ Socket class declaration.");
}

// msgpack/__init__.py opens with a PEP 263 line, which says nothing
// about the module.
TEST_CASE("Python: an encoding line is no summary", "[symbols][python]") {
  CHECK(
      extract(Language::python, "# coding: utf-8\nfrom .exceptions import *\n")
          .doc_summary.empty());
  CHECK(extract(Language::python,
                "#!/usr/bin/env python\n# -*- coding: latin-1 -*-\n"
                "# Tools for decoding: frames.\nimport os\n")
            .doc_summary == "Tools for decoding: frames.");
}

// Go 1.19's net/http/server.go, cut down: the licence header, the
// import block (with urlpkg, plus . and _ imports from its tests),
// ConnState and its iota block, HandlerFunc, and `var _ ...` assertions.
TEST_CASE("Go: net/http server declarations", "[symbols][go]") {
  const auto x =
      extract(Language::go,
              R"(// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// HTTP server. See RFC 7230 through 7235.

package http

import (
	"bufio"
	"net/url"
	urlpkg "net/url"
	. "fmt"
	_ "unsafe"

	"golang.org/x/net/http/httpguts"
)

import m "math"

const rstAvoidanceDelay = 500 * time.Millisecond

type closeWriter interface {
	CloseWrite() error
}

var _ closeWriter = (*net.TCPConn)(nil)

// A ConnState represents the state of a client connection to a server.
type ConnState int

const (
	// StateNew represents a new connection that is expected to
	// send a request immediately.
	StateNew ConnState = iota

	StateActive
	StateIdle
	StateHijacked
	StateClosed
)

var stateName = map[ConnState]string{
	StateNew:      "new",
	StateActive:   "active",
}

func (c ConnState) String() string {
	return stateName[c]
}

// The HandlerFunc type is an adapter to allow the use of
// ordinary functions as HTTP handlers.
type HandlerFunc func(ResponseWriter, *Request)

// ServeHTTP calls f(w, r).
func (f HandlerFunc) ServeHTTP(w ResponseWriter, r *Request) {
	f(w, r)
}
)");
  CHECK(x.symbols == Symbols{{"rstAvoidanceDelay", "variable", 21},
                             {"closeWriter", "interface", 23},
                             {"ConnState", "type", 30},
                             {"StateNew", "variable", 35},
                             {"StateActive", "variable", 37},
                             {"StateIdle", "variable", 38},
                             {"StateHijacked", "variable", 39},
                             {"StateClosed", "variable", 40},
                             {"stateName", "variable", 43},
                             {"String", "method", 48},
                             {"HandlerFunc", "type", 54},
                             {"ServeHTTP", "method", 57}});
  CHECK(x.imports == Strings{"bufio", "net/url", "net/url", "fmt", "unsafe",
                             "golang.org/x/net/http/httpguts", "math"});
  CHECK(x.doc_summary == "HTTP server.");
}

// Multi-name specs (fmt/scan_test.go), a group whose values run over
// several lines (crypto/tls/cipher_suites.go) and a generic type with
// methods (sync/atomic/type.go).
TEST_CASE("Go: multi-name specs, continued values, generics", "[symbols][go]") {
  const auto x = extract(Language::go, R"(package atomic

var i, j, k int
var r1, r2, r3 rune

var (
	hasGCMAsmAMD64 = cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ
	// Keep in sync with crypto/aes/cipher_s390x.go.
	hasGCMAsmS390X = cpu.S390X.HasAES && cpu.S390X.HasAESCBC &&
		(cpu.S390X.HasGHASH || cpu.S390X.HasAESGCM)

	hasAESGCMHardwareSupport = runtime.GOARCH == "amd64" && hasGCMAsmAMD64 ||
		runtime.GOARCH == "s390x" && hasGCMAsmS390X
	a, b = f(1,
		2)
)

// A Pointer is an atomic pointer of type *T.
type Pointer[T any] struct {
	_ [0]*T
	v unsafe.Pointer
}

func (x *Pointer[T]) Load() *T { return (*T)(LoadPointer(&x.v)) }

type (
	noCopy struct{}
	align64 = struct{}
)

func _() {}
)");
  CHECK(x.symbols == Symbols{{"i", "variable", 3},
                             {"j", "variable", 3},
                             {"k", "variable", 3},
                             {"r1", "variable", 4},
                             {"r2", "variable", 4},
                             {"r3", "variable", 4},
                             {"hasGCMAsmAMD64", "variable", 7},
                             {"hasGCMAsmS390X", "variable", 9},
                             {"hasAESGCMHardwareSupport", "variable", 12},
                             {"a", "variable", 14},
                             {"b", "variable", 14},
                             {"Pointer", "struct", 19},
                             {"Load", "method", 24},
                             {"noCopy", "struct", 27},
                             {"align64", "struct", 28}});
  CHECK(x.imports.empty());
}

TEST_CASE("JavaScript and TypeScript", "[symbols][js]") {
  const auto js = extract(Language::javascript, R"(/** Client helpers. */
import { a } from './a.js';
import './side-effect';
const fs = require('fs');
export function connect(url) { const inner = 1; }
export default class Client {}
export const handler = async (req) => { return `function fake() {}`; };
let count = 0;
)");
  CHECK(js.symbols == Symbols{{"fs", "variable", 4},
                              {"connect", "function", 5},
                              {"Client", "class", 6},
                              {"handler", "function", 7},
                              {"count", "variable", 8}});
  CHECK(js.imports == Strings{"./a.js", "./side-effect", "fs"});
  CHECK(js.doc_summary == "Client helpers.");

  const auto ts = extract(Language::typescript, R"(import type { X } from "x";
export interface Options { port: number }
export type Id = string;
export enum Mode { A, B }
declare namespace NS { }
)");
  CHECK(ts.symbols == Symbols{{"Options", "interface", 2},
                              {"Id", "type", 3},
                              {"Mode", "enum", 4},
                              {"NS", "module", 5}});
  CHECK(ts.imports == Strings{"x"});
}

TEST_CASE("Rust, Java, Shell, CMake", "[symbols][rust][java][shell]") {
  const auto rs = extract(Language::rust, R"(//! Storage engine.
use std::collections::{HashMap, HashSet};
pub(crate) struct Store<'a> { map: &'a str }
pub enum Kind { A }
pub trait Engine { fn run(&self); }
impl Engine for Store<'_> { fn run(&self) { let c = '}'; } }
pub mod inner { pub fn helper() {} }
const LIMIT: usize = 10;
macro_rules! bail { () => {} }
pub async fn serve() {}
)");
  CHECK(rs.symbols == Symbols{{"Store", "struct", 3},
                              {"Kind", "enum", 4},
                              {"Engine", "trait", 5},
                              {"inner", "module", 7},
                              {"helper", "function", 7},
                              {"LIMIT", "variable", 8},
                              {"bail", "macro", 9},
                              {"serve", "function", 10}});
  CHECK(rs.imports == Strings{"std::collections::{HashMap,HashSet}"});
  CHECK(rs.doc_summary == "Storage engine.");

  const auto java = extract(Language::java, R"(package a.b;
import java.util.List;
import static org.junit.Assert.assertEquals;
public final class Main { class Inner {} }
interface Shape {}
)");
  CHECK(java.symbols ==
        Symbols{{"Main", "class", 4}, {"Shape", "interface", 5}});
  CHECK(java.imports ==
        Strings{"java.util.List", "org.junit.Assert.assertEquals"});

  const auto sh = extract(Language::shell, R"(#!/bin/sh
# Sets up a dev box.
. ./lib.sh
source "$HOME/env"
setup() { echo "x() {"; }
function teardown {
  echo $# # XXX not portable
}
)");
  CHECK(sh.symbols ==
        Symbols{{"setup", "function", 5}, {"teardown", "function", 6}});
  CHECK(sh.imports == Strings{"./lib.sh", "$HOME/env"});
  CHECK(sh.doc_summary == "Sets up a dev box.");
  CHECK(sh.todos == Strings{"not portable"});

  const auto cm = extract(Language::cmake, R"(include(CTest)
function(slurp_test_binary name)
endfunction()
MACRO(add_flag flag)
ENDMACRO()
)");
  CHECK(cm.symbols == Symbols{{"slurp_test_binary", "function", 2},
                              {"add_flag", "macro", 4}});
  CHECK(cm.imports == Strings{"CTest"});
}

TEST_CASE("Markdown summary is the first heading", "[symbols][markdown]") {
  CHECK(extract(Language::markdown, "intro\n\n## Slurp engine\n").doc_summary ==
        "Slurp engine");
  CHECK(extract(Language::markdown, "Title\n=====\n").doc_summary == "Title");
}

// Generated headers (GL's extension lists, Boost's preprocessed tables)
// run to megabytes of declarations: the parser reads the first
// tree_read_bytes_max of them, the tokenizer the rest, so that every
// prototype and function-pointer typedef is still listed at its line.
TEST_CASE("C: past what the parser reads, the tokenizer's symbols",
          "[symbols][c][limits]") {
  std::string text;
  std::size_t lines = 0;
  while (text.size() <= tree_read_bytes_max + 4096) {
    const std::string n = std::to_string(lines / 2);
    text += "typedef void (APIENTRYP PFNGLF" + n + "PROC) (GLenum target);\n";
    text += "GLAPI void APIENTRY glF" + n + " (GLenum target);\n";
    lines += 2;
  }
  const auto x = extract(Language::c, text);
  REQUIRE(x.symbols.size() == lines);
  for (std::size_t k = 0; k < lines; ++k) {
    const std::string n = std::to_string(k / 2);
    CHECK(x.symbols[k] ==
          (k % 2 == 0 ? ExtractedSymbol{"PFNGLF" + n + "PROC", "type", k + 1}
                      : ExtractedSymbol{"glF" + n, "function", k + 1}));
  }
  // The parser's symbols have signatures; the tokenizer's do not.
  CHECK(x.symbols.front().signature ==
        "typedef void (APIENTRYP PFNGLF0PROC) (GLenum target);");
  CHECK(x.symbols.back().signature.empty());
}

TEST_CASE("Limits: long summaries and many TODOs are bounded",
          "[symbols][limits]") {
  std::string src = "// " + std::string(500, 'a') + "\n";
  for (int k = 0; k < 300; ++k)
    src += "// TODO " + std::string(300, 'b') + "\n";
  src += "int f(void);\n";
  const auto x = extract(Language::c, src);
  CHECK(x.doc_summary.size() <= extract_text_bytes_max);
  CHECK(x.todos.size() == extract_todos_max);
  CHECK(x.todos.front().size() <= extract_text_bytes_max);
  CHECK(x.symbols == Symbols{{"f", "function", 302}});
}

TEST_CASE("Garbage and truncated input never crash", "[symbols][robust]") {
  const std::vector<std::string> inputs = {
      "",      "{",       "}",          "(((",
      ")))",   "\"",      "'",          "/*",
      "R\"x(", "#define", "#include <", "template<",
      "class", "typedef", "struct {",   "r#\"",
      "'''",   "func (",  "import (",   "def",
      "`",     "\\",      "operator",   std::string("\0\xff\xfe{(\"", 6)};
  for (int language = 0; language <= static_cast<int>(Language::json);
       ++language) {
    for (const auto& input : inputs) {
      const auto x = extract(static_cast<Language>(language), input);
      CHECK(x.symbols.size() <= 2);
    }
  }
  // Pseudo-random bytes: linear congruential, fixed seed.
  std::string noise(1 << 14, '\0');  // tree-sitter recovers from noise slowly
  std::uint32_t state = 12345;
  for (auto& c : noise) {
    state = state * 1103515245u + 12345u;
    c = static_cast<char>(state >> 24);
  }
  for (int language = 0; language <= static_cast<int>(Language::json);
       ++language) {
    const auto x = extract(static_cast<Language>(language), noise);
    CHECK(x.todos.size() <= extract_todos_max);
  }
}

}  // namespace
}  // namespace slurp::engine
