// Directory roll-ups (src/worker/directory_rollup.h) through the built-in
// engine: a directory job carries its children's contexts.
#include "src/worker/directory_rollup.h"

#include <catch2/catch.hpp>

#include "src/worker/builtin_engine.h"

namespace slurp::worker {
namespace {

Context child(std::string address, std::string language,
              std::uint64_t lines_code, std::vector<std::string> tech = {},
              std::vector<std::string> tags = {}) {
  Context c;
  c.address = std::move(address);
  c.language = language;
  c.metrics = Metrics{lines_code, 1, 2, lines_code * 30};
  c.languages = {LanguageShare{language, 1, lines_code}};
  c.technologies = std::move(tech);
  c.tags = std::move(tags);
  return c;
}

Job directory_job() {
  Job job;
  job.job_id = 9;
  job.attempt = 1;
  job.address = "ucxl://p/src";
  job.role = "developer";
  return job;
}

TEST_CASE("a directory sums its children by language", "[rollup]") {
  Job job = directory_job();
  job.dependencies = {
      child("ucxl://p/src/main.cc", "cpp", 60, {"ZeroMQ", "msgpack"},
            {"entry_point"}),
      child("ucxl://p/src/bus.cc", "cpp", 20, {"ZeroMQ"}),
      child("ucxl://p/src/gen.py", "python", 20, {"msgpack"}),
  };
  Context sub;
  sub.address = "ucxl://p/src/sub";
  sub.language = "directory";
  sub.metrics = Metrics{100, 0, 0, 5000};
  sub.languages = {LanguageShare{"go", 4, 100}, LanguageShare{"cpp", 1, 0}};
  sub.technologies = {"ZeroMQ"};
  job.dependencies.push_back(sub);
  for (const Context& c : job.dependencies) job.depends_on.push_back(c.address);

  auto context = BuiltinEngine().generate(job);
  REQUIRE(context.ok());
  CHECK(context->language == "directory");
  // Go's 100 lines come from the subdirectory: shares roll up the tree.
  REQUIRE(context->languages.size() == 3);
  CHECK(context->languages[0] == LanguageShare{"go", 4, 100});
  CHECK(context->languages[1] == LanguageShare{"cpp", 3, 80});
  CHECK(context->languages[2] == LanguageShare{"python", 1, 20});
  CHECK(context->metrics.lines_code == 200);
  CHECK(context->metrics.bytes == 60 * 30 + 20 * 30 + 20 * 30 + 5000);
  CHECK(context->technologies ==
        std::vector<std::string>{"ZeroMQ", "msgpack"});  // 3 and 2 children
  CHECK(context->summary ==
        "3 files, 1 directory; go 50%, cpp 40%, python 10% of 200 lines of "
        "code; uses ZeroMQ, msgpack; entry points: main.cc");
  CHECK(context->imports == job.depends_on);
  CHECK(context->tags == std::vector<std::string>{"directory", "entry_point"});
}

TEST_CASE("a README says what the directory is for", "[rollup]") {
  Job job = directory_job();
  Context readme = child("ucxl://p/src/README.md", "markdown", 0);
  readme.summary = "The node shell";
  job.dependencies = {readme, child("ucxl://p/src/a.c", "c", 10)};
  for (const Context& c : job.dependencies) job.depends_on.push_back(c.address);
  auto context = BuiltinEngine().generate(job);
  REQUIRE(context.ok());
  CHECK(context->purpose == "The node shell");
  CHECK(
      context->summary.starts_with("The node shell — 2 files, 0 "
                                   "directories; c 100% of 10 lines"));
}

TEST_CASE("children without a context are counted and named", "[rollup]") {
  Job job = directory_job();
  job.depends_on = {"ucxl://p/src/a.c", "ucxl://p/src/broken.c"};
  job.dependencies = {child("ucxl://p/src/a.c", "c", 10)};
  job.failed_dependencies = {"ucxl://p/src/broken.c"};
  auto context = BuiltinEngine().generate(job);
  REQUIRE(context.ok());
  CHECK(context->summary.ends_with("(1 without a context: broken.c)"));
}

TEST_CASE("an empty directory still gets a context", "[rollup]") {
  auto context = BuiltinEngine().generate(directory_job());
  REQUIRE(context.ok());
  CHECK(context->summary == "0 files, 0 directories");
  CHECK(context->languages.empty());
}

// Issue 15: a summary that says what the directory is for, from what its
// files say (no README here).
TEST_CASE("a directory's purpose comes from its files' own words", "[rollup]") {
  Job job = directory_job();
  job.address = "ucxl://p/src/node";
  auto described = [](std::string address, std::string summary,
                      std::uint64_t lines) {
    Context c = child(std::move(address), "cpp", lines);
    c.summary = std::move(summary);
    c.confidence = 0.7;
    return c;
  };
  job.dependencies = {
      described("ucxl://p/src/node/big.cc", "Implementation details.", 900),
      described("ucxl://p/src/node/node.h",
                "The node shell: sockets, threads and wiring.", 100),
      described("ucxl://p/src/node/fair_intake.h",
                "Fair intake of client requests.", 50),
      child("ucxl://p/src/node/x.cc", "cpp", 10),  // "cpp file defining ..."
  };
  job.dependencies.back().summary = "cpp file defining 1 function";
  job.dependencies.back().confidence = 0.4;
  for (const Context& c : job.dependencies) job.depends_on.push_back(c.address);
  auto context = BuiltinEngine().generate(job);
  REQUIRE(context.ok());
  CHECK(context->purpose == "The node shell: sockets, threads and wiring.");
  CHECK(context->summary.starts_with(
      "The node shell: sockets, threads and wiring. Also: Fair intake of "
      "client requests. Implementation details. — 4 files"));
  CHECK(context->summary.find("cpp file defining") == std::string::npos);
}

}  // namespace
}  // namespace slurp::worker
