#include "src/worker/builtin_engine.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "src/worker/content_hash.h"
#include "src/worker/directory_rollup.h"
#include "src/worker/utf8.h"

namespace slurp::worker {
namespace {

Job job_for(std::string address, std::string text) {
  Job job;
  job.job_id = 1;
  job.attempt = 1;
  job.address = std::move(address);
  job.role = "developer";
  job.content = Bytes(text.begin(), text.end());
  return job;
}

TEST_CASE("a C file: language, symbols, imports, lines, summary", "[builtin]") {
  const std::string text =
      "/* Prints a greeting. */\n"
      "#include <stdio.h>\n"
      "\n"
      "int main(void) {\n"
      "  // TODO: take a name\n"
      "  puts(\"hi\");\n"
      "  return 0;\n"
      "}\n";
  auto context =
      BuiltinEngine().generate(job_for("ucxl://p/src/hello.c", text));
  REQUIRE(context.ok());
  CHECK(context->language == "c");
  CHECK(context->engine == "builtin");
  CHECK(context->engine_version == std::string(kBuiltinEngineVersion));
  REQUIRE(context->symbols.size() == 1);
  CHECK(context->symbols[0].name == "main");
  CHECK(context->symbols[0].kind == "function");
  CHECK(context->symbols[0].line == 4);
  CHECK(context->symbols[0].signature == "int main(void)");
  CHECK(context->imports == std::vector<std::string>{"stdio.h"});
  CHECK(context->metrics.lines_code == 5);
  CHECK(context->metrics.lines_comment == 2);
  CHECK(context->metrics.lines_blank == 1);
  CHECK(context->metrics.bytes == text.size());
  CHECK(context->summary.find("Prints a greeting") != std::string::npos);
  CHECK(context->todos.size() == 1);
  CHECK(std::find(context->tags.begin(), context->tags.end(), "entry_point") !=
        context->tags.end());
  CHECK(context->content_hash.size() == 64);
}

TEST_CASE("a composed summary counts kinds in good English", "[builtin]") {
  const std::string text = "class A {};\nclass B {};\nint f() { return 0; }\n";
  auto context = BuiltinEngine().generate(job_for("ucxl://p/ab.cc", text));
  REQUIRE(context.ok());
  CHECK(context->summary == "cpp file defining 2 classes, 1 function (A, B)");
}

// Issue 15: zmq.h's symbols started with its include guard and listed
// ZMQ_EXPORT six times.
TEST_CASE("a header's context: no guard, no export macros, no repeats",
          "[builtin]") {
  const std::string text =
      "#ifndef __ZMQ_H_INCLUDED__\n"
      "#define __ZMQ_H_INCLUDED__\n"
      "#if defined _WIN32\n"
      "#define ZMQ_EXPORT __declspec(dllexport)\n"
      "#else\n"
      "#define ZMQ_EXPORT __attribute__((visibility(\"default\")))\n"
      "#endif\n"
      "/* Creates a context. */\n"
      "ZMQ_EXPORT void *zmq_ctx_new(void);\n"
      "ZMQ_EXPORT int zmq_errno(void);\n"
      "int zmq_errno(void);\n"
      "#endif\n";
  auto context =
      BuiltinEngine().generate(job_for("ucxl://p/include/zmq.h", text));
  REQUIRE(context.ok());
  std::vector<std::string> names;
  for (const Symbol& s : context->symbols) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"zmq_ctx_new", "zmq_errno"});
  CHECK(context->symbols[0].doc == "Creates a context.");
  CHECK(context->symbols[1].doc == std::nullopt);
}

TEST_CASE("Latin-1 names and comments become valid UTF-8", "[builtin]") {
  const std::string text =
      "/* Gr\xfc\xdf"
      "e. */\nint caf\xe9(void);\n// TODO: \xe9t\xe9\n";
  auto context = BuiltinEngine().generate(job_for("ucxl://p/latin1.c", text));
  REQUIRE(context.ok());
  REQUIRE(context->symbols.size() == 1);
  CHECK(context->symbols[0].name == "caf\xc3\xa9");
  CHECK(is_utf8(context->summary));
  REQUIRE(context->todos.size() == 1);
  CHECK(is_utf8(context->todos[0]));
}

TEST_CASE("without a file comment, the main type's doc is the summary",
          "[builtin]") {
  const std::string text =
      "#include <string>\n\n// Reads one file at a time. Thread-safe.\n"
      "class Reader {\n};\n";
  auto context = BuiltinEngine().generate(job_for("ucxl://p/reader.h", text));
  REQUIRE(context.ok());
  CHECK(context->summary == "Reader: Reads one file at a time.");
  CHECK(context->confidence >= kDescribedConfidence);
}

TEST_CASE("binary content gets a small clear context", "[builtin]") {
  std::string bytes(
      "\x7f"
      "ELF\0\0\x01\x02",
      8);
  auto context = BuiltinEngine().generate(job_for("ucxl://p/bin/tool", bytes));
  REQUIRE(context.ok());
  CHECK(context->tags == std::vector<std::string>{"binary"});
  CHECK(context->symbols.empty());
  CHECK(context->metrics.bytes == 8);
}

TEST_CASE("the content size limit is the engine's to set", "[builtin]") {
  const std::string text(2000, 'x');
  auto small = BuiltinEngine(1000).generate(job_for("ucxl://p/a.txt", text));
  REQUIRE(small.ok());
  CHECK(small->tags == std::vector<std::string>{"huge"});
  CHECK(small->summary.find("over 1000 bytes") != std::string::npos);
  CHECK(small->metrics.bytes == 2000);
  auto large = BuiltinEngine(4000).generate(job_for("ucxl://p/a.txt", text));
  REQUIRE(large.ok());
  CHECK(large->tags.empty());
}

// A root of its own under /tmp, removed afterwards.
struct Root {
  std::string path = "/tmp/slurp-builtin-root-" + std::to_string(::getpid());
  Root() { std::filesystem::create_directories(path); }
  ~Root() { std::filesystem::remove_all(path); }
};

TEST_CASE("a file under a root is read, analysed and hashed here",
          "[builtin]") {
  Root root;
  const std::string text = "// TODO: rotate the key\nint f(void);\n";
  std::ofstream(root.path + "/f.c", std::ios::binary) << text;
  Job job;
  job.address = "ucxl://p/f.c";
  job.file_path = root.path + "/f.c";
  // A forged hash: the context must carry the hash of what was read.
  job.content_hash = std::string(64, 'a');
  auto context =
      BuiltinEngine(limits::content_bytes_max, {root.path}).generate(job);
  REQUIRE(context.ok());
  CHECK(context->todos.size() == 1);
  CHECK(context->metrics.bytes == text.size());
  CHECK(context->content_hash == content_hash(std::string_view(text)));
}

TEST_CASE("inline content is hashed here, never labelled by the requester",
          "[builtin]") {
  Job job = job_for("ucxl://p/a.txt", "real bytes");
  job.content_hash = content_hash(std::string_view("other bytes"));
  auto context = BuiltinEngine().generate(job);
  REQUIRE(context.ok());
  CHECK(context->content_hash == content_hash(std::string_view("real bytes")));
}

TEST_CASE("a huge file read from disk is sized, not read", "[builtin]") {
  Root root;
  const std::string text(5000, 'y');
  std::ofstream(root.path + "/huge.txt", std::ios::binary) << text;
  Job job;
  job.address = "ucxl://p/huge.txt";
  job.file_path = root.path + "/huge.txt";
  job.content_hash = content_hash(std::string_view(text));
  auto context = BuiltinEngine(1000, {root.path}).generate(job);
  REQUIRE(context.ok());
  CHECK(context->metrics.bytes == 5000);
  CHECK(context->tags == std::vector<std::string>{"huge"});
  // Not read, so not hashed: it never answers `cached`.
  CHECK(context->content_hash.empty());
}

TEST_CASE("a directory's context has no content hash", "[builtin]") {
  Job job;
  job.address = "ucxl://p/src/";
  job.content_hash = std::string(64, 'c');
  auto context = BuiltinEngine().generate(job);
  REQUIRE(context.ok());
  CHECK(context->content_hash.empty());
}

TEST_CASE("license, purpose and language share of a file", "[builtin]") {
  const std::string text =
      "// SPDX-License-Identifier: Apache-2.0\n"
      "#include <zmq.h>\n"
      "int serve(void) { return 0; }\n";
  auto context = BuiltinEngine().generate(job_for("ucxl://p/serve.c", text));
  REQUIRE(context.ok());
  CHECK(context->license == "Apache-2.0");
  CHECK(context->purpose == "library code");
  CHECK(context->technologies == std::vector<std::string>{"ZeroMQ"});
  CHECK(context->languages ==
        std::vector<LanguageShare>{LanguageShare{"c", 1, 2}});
}

TEST_CASE("a file_path outside the roots, or with none, fails the attempt",
          "[builtin]") {
  Root root;
  Job job;
  job.address = "ucxl://p/passwd";
  job.file_path = "/etc/passwd";
  for (const auto& roots :
       {std::vector<std::string>{}, std::vector<std::string>{root.path}}) {
    auto context =
        BuiltinEngine(limits::content_bytes_max, roots).generate(job);
    REQUIRE_FALSE(context.ok());
    CHECK(context.error().code == ErrorCode::not_found);
    CHECK(context.error().reason == kFileRefused);
  }
}

}  // namespace
}  // namespace slurp::worker
