#include "src/worker/builtin_engine.h"

#include <catch2/catch.hpp>
#include <string>

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
  CHECK(context->symbols[0] == Symbol{"main", "function", 4});
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

TEST_CASE("an address without bytes is a directory roll-up", "[builtin]") {
  Job job;
  job.address = "ucxl://p/src";
  job.depends_on = {"ucxl://p/src/a.c", "ucxl://p/src/b.c"};
  job.failed_dependencies = {"ucxl://p/src/b.c"};
  auto context = BuiltinEngine().generate(job);
  REQUIRE(context.ok());
  CHECK(context->language == "directory");
  CHECK(context->summary == "directory of 2 entries (1 without a context)");
}

TEST_CASE("an unreadable file_path fails the attempt", "[builtin]") {
  Job job;
  job.address = "ucxl://p/missing.c";
  job.file_path = "/nonexistent/slurp/missing.c";
  auto context = BuiltinEngine().generate(job);
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().code == ErrorCode::not_found);
}

}  // namespace
}  // namespace slurp::worker
