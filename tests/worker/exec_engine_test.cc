// The exec engine runs real commands through /bin/sh: every way one can end
// (success, timeout, non-zero exit, a signal, output that is not a context,
// too much output) is a clear outcome with a reason, and none hangs.
#include "src/worker/exec_engine.h"

#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "protocol/ucxl_address.h"
#include "src/worker/content_hash.h"
#include "tests/support/temp_dir.h"

namespace slurp::worker {
namespace {

using Clock = std::chrono::steady_clock;

// Debian's python3 (the one the integration tests use).
constexpr const char* kPython = "/usr/bin/python3";

Job job_for(std::string short_address, std::string text) {
  Job job;
  job.job_id = 7;
  job.attempt = 3;
  job.lease_ms = 30000;
  job.address = parse_ucxl(short_address)->to_string();
  job.role = "developer";
  job.content = Bytes(text.begin(), text.end());
  return job;
}

ExecEngine engine(std::string command, std::uint64_t timeout_ms = 10000) {
  ExecOptions options;
  options.command = std::move(command);
  options.timeout_ms = timeout_ms;
  return ExecEngine(options);
}

// A python one-liner as a shell word.
std::string python(const std::string& program) {
  return std::string(kPython) + " -c '" + program + "'";
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST_CASE("a command's context becomes the job's context", "[exec]") {
  const Job job = job_for("ucxl://p/main.go", "package main\n");
  auto context = engine(
                     "cat > /dev/null; printf '{\"summary\":\"hi\","
                     "\"language\":\"go\",\"symbols\":[{\"name\":\"main\","
                     "\"kind\":\"function\",\"line\":3}]}'")
                     .generate(job);
  REQUIRE(context.ok());
  CHECK(context->address == job.address);
  CHECK(context->summary == "hi");
  CHECK(context->language == "go");
  REQUIRE(context->symbols.size() == 1);
  CHECK(context->symbols[0] == Symbol{"main", "function", 3});
  CHECK(context->engine == "exec");
  CHECK(context->engine_version == std::string(kExecEngineVersion));
  CHECK(context->generated_at_ms > 0);
  CHECK(context->content_hash.size() == 64);
  CHECK(context->metrics.bytes == job.content->size());
}

TEST_CASE("the job reaches the command on stdin and in its environment",
          "[exec]") {
  const Job job = job_for("ucxl://p/src/a.py", "print(1)\n");
  auto context =
      engine(
          python(
              "import json, os, sys\n"
              "job = json.load(sys.stdin)\n"
              "print(json.dumps({\"summary\": \" \".join([job[\"address\"], "
              "job[\"path\"], job[\"content\"].strip(), str(job[\"job_id\"]),"
              " str(job[\"attempt\"]), job[\"priority\"]]), \"purpose\": "
              "\" \".join(os.environ[k] for k in (\"SLURP_JOB_ID\", "
              "\"SLURP_ATTEMPT\", \"SLURP_ADDRESS\"))}))"))
          .generate(job);
  REQUIRE(context.ok());
  CHECK(context->summary == job.address + " src/a.py print(1) 7 3 normal");
  CHECK(context->purpose == "7 3 " + job.address);
}

TEST_CASE("binary content reaches the command as content_base64", "[exec]") {
  Job job = job_for("ucxl://p/bin/tool", "");
  job.content = Bytes{0x7f, 'E', 'L', 'F', 0xff, 0x00, 0x01};
  auto context =
      engine(python("import base64, json, sys\n"
                    "job = json.load(sys.stdin)\n"
                    "data = base64.b64decode(job[\"content_base64\"])\n"
                    "print(json.dumps({\"summary\": \"%d bytes, text: %s\" % "
                    "(len(data), \"content\" in job), \"metrics\": "
                    "{\"bytes\": len(data)}}))"))
          .generate(job);
  REQUIRE(context.ok());
  CHECK(context->summary == "7 bytes, text: False");
  CHECK(context->metrics.bytes == 7);
}

TEST_CASE("a command over its timeout is killed and the attempt fails",
          "[exec]") {
  const auto start = Clock::now();
  auto context = engine("echo thinking >&2; sleep 10", 500)
                     .generate(job_for("ucxl://p/slow.c", "x"));
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().code == ErrorCode::timeout);
  CHECK(context.error().reason == "command timed out after 500 ms: thinking");
  CHECK(seconds_since(start) < 5.0);
}

TEST_CASE("a timeout kills what the command started, too", "[exec]") {
  slurp::testing::TempDir dir("slurp-exec");
  const std::string pid_file = (dir.path() / "sleeper.pid").string();
  auto context = engine("sleep 30 & echo $! > " + pid_file + "; wait", 1000)
                     .generate(job_for("ucxl://p/slow.c", "x"));
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().code == ErrorCode::timeout);
  pid_t sleeper = 0;
  std::ifstream(pid_file) >> sleeper;
  REQUIRE(sleeper > 0);
  // Killed with its group; reaped by init (or a subreaper) soon after.
  const auto start = Clock::now();
  while (::kill(sleeper, 0) == 0 && seconds_since(start) < 5.0) {
    std::ifstream stat("/proc/" + std::to_string(sleeper) + "/stat");
    std::string pid, comm, state;
    stat >> pid >> comm >> state;
    if (state == "Z") break;  // dead, not yet reaped
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(seconds_since(start) < 5.0);
}

TEST_CASE("a non-zero exit fails with its status and stderr", "[exec]") {
  auto context = engine(
                     "cat >/dev/null; echo 'loading model' >&2; "
                     "echo 'model unavailable' >&2; exit 3")
                     .generate(job_for("ucxl://p/a.c", "x"));
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().code == ErrorCode::internal);
  CHECK(context.error().describe() ==
        "internal: command exited with status 3: loading model | model "
        "unavailable");
}

TEST_CASE("a missing program fails with the shell's word for it", "[exec]") {
  auto context =
      engine("/nonexistent/slurp-llm").generate(job_for("ucxl://p/a.c", "x"));
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().reason.starts_with("command exited with status 127: "));
  CHECK(context.error().reason.find("/nonexistent/slurp-llm") !=
        std::string::npos);
}

TEST_CASE("a command killed by a signal says which", "[exec]") {
  auto context = engine("kill -9 $$").generate(job_for("ucxl://p/a.c", "x"));
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().code == ErrorCode::internal);
  CHECK(context.error().reason == "command killed by signal 9");
}

TEST_CASE("stdout that is not JSON fails the attempt", "[exec]") {
  auto context = engine("echo 'Sure! Here is your context.'")
                     .generate(job_for("ucxl://p/a.c", "x"));
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().code == ErrorCode::bad_request);
  CHECK(context.error().reason.starts_with(
      "stdout is not a context: not JSON: parse error at line 1"));
}

TEST_CASE("an empty stdout fails the attempt", "[exec]") {
  auto context = engine("true").generate(job_for("ucxl://p/a.c", "x"));
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().describe() ==
        "bad_request: stdout is not a context: empty output");
}

TEST_CASE("a field of the wrong type fails the attempt, naming the field",
          "[exec]") {
  auto context =
      engine(
          "printf '{\"symbols\":[{\"name\":\"main\",\"kind\":\"function\","
          "\"line\":\"3\"}]}'; echo 'warning: guessed' >&2")
          .generate(job_for("ucxl://p/a.c", "x"));
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().code == ErrorCode::bad_request);
  CHECK(context.error().reason ==
        "stdout is not a context: symbols[0].line: expected an unsigned "
        "integer, got a string: warning: guessed");
}

TEST_CASE("output over the bound fails the attempt", "[exec]") {
  ExecOptions options;
  options.output_bytes_max = 1000;
  SECTION("a little over") {
    options.command = "head -c 1001 /dev/zero | tr '\\0' a";
  }
  SECTION("endless: killed, not waited for") {
    options.command = "yes";
  }
  const auto start = Clock::now();
  auto context = ExecEngine(options).generate(job_for("ucxl://p/a.c", "x"));
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().code == ErrorCode::too_large);
  CHECK(context.error().reason == "command output over 1000 bytes");
  CHECK(seconds_since(start) < 5.0);
}

TEST_CASE("output exactly at the bound is read", "[exec]") {
  const std::string reply = R"({"summary":"ok"})";
  ExecOptions options;
  options.output_bytes_max = reply.size();
  options.command = "printf '" + reply + "'";
  auto context = ExecEngine(options).generate(job_for("ucxl://p/a.c", "x"));
  REQUIRE(context.ok());
  CHECK(context->summary == "ok");
}

TEST_CASE("a command that ignores a big stdin neither hangs nor kills us",
          "[exec]") {
  const std::string big(2 * 1024 * 1024, 'x');
  const auto start = Clock::now();
  SECTION("exits without reading") {
    auto context = engine("printf '{\"summary\":\"skipped\"}'")
                       .generate(job_for("ucxl://p/big.txt", big));
    REQUIRE(context.ok());
    CHECK(context->summary == "skipped");
  }
  SECTION("closes stdin and keeps running") {
    auto context =
        engine("exec 0<&-; sleep 0.2; printf '{\"summary\":\"closed\"}'")
            .generate(job_for("ucxl://p/big.txt", big));
    REQUIRE(context.ok());
    CHECK(context->summary == "closed");
  }
  SECTION("reads it all, writing while it reads") {
    auto context = engine(python("import json, sys\n"
                                 "job = json.load(sys.stdin)\n"
                                 "print(json.dumps({\"summary\": "
                                 "str(len(job[\"content\"])), \"todos\": "
                                 "[\"x\" * 1000] * 500}))"))
                       .generate(job_for("ucxl://p/big.txt", big));
    REQUIRE(context.ok());
    CHECK(context->summary == std::to_string(big.size()));
    CHECK(context->todos.size() == 500);
  }
  CHECK(seconds_since(start) < 10.0);
}

TEST_CASE("stderr in a reason is one line of valid UTF-8", "[exec]") {
  auto context =
      engine(
          "printf 'a\\tb\\001c\\377d\\n\\n' >&2; printf 'héllo\\r\\n' "
          ">&2; exit 1")
          .generate(job_for("ucxl://p/a.c", "x"));
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().reason ==
        "command exited with status 1: a b?c?d |  | héllo");
}

TEST_CASE("only the end of a long stderr goes into the reason", "[exec]") {
  auto context = engine(python("import sys\n"
                               "for i in range(2000): print(\"line %d\" % i, "
                               "file=sys.stderr)\n"
                               "sys.exit(2)"))
                     .generate(job_for("ucxl://p/a.c", "x"));
  REQUIRE_FALSE(context.ok());
  const std::string& reason = context.error().reason;
  CHECK(reason.starts_with("command exited with status 2: line "));
  CHECK(reason.ends_with(" | line 1999"));
  // exec_stderr_reason_bytes_max of stderr, line breaks shown as " | ".
  CHECK(reason.size() < 30 + 512 * 3 / 2);
}

TEST_CASE("engine threads run commands side by side", "[exec]") {
  ExecEngine shared =
      engine(python("import json, sys\n"
                    "job = json.load(sys.stdin)\n"
                    "print(json.dumps({\"summary\": job[\"content\"]}))"));
  constexpr int kThreads = 6;
  std::vector<std::string> summaries(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 3; ++round) {
        const std::string text = "job " + std::to_string(i);
        auto context = shared.generate(
            job_for("ucxl://p/f" + std::to_string(i) + ".txt", text));
        summaries[static_cast<std::size_t>(i)] =
            context.ok() ? context->summary : context.error().describe();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    CHECK(summaries[static_cast<std::size_t>(i)] == "job " + std::to_string(i));
  }
}

TEST_CASE("a cancel kills a running command at once", "[exec]") {
  std::atomic<bool> cancelled{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancelled = true;
  });
  const auto start = Clock::now();
  auto context = engine("sleep 30", 20000)
                     .generate(job_for("ucxl://p/slow.c", "x"),
                               Interrupt(&cancelled, nullptr));
  canceller.join();
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().code == ErrorCode::unavailable);
  CHECK_THAT(context.error().reason, Catch::StartsWith("interrupted"));
  CHECK(seconds_since(start) < 2.0);
}

TEST_CASE("file_path reaches the command as content the worker read",
          "[exec]") {
  slurp::testing::TempDir root("slurp-exec-root");
  const std::string text = "package main\n";
  std::ofstream((root / "main.go").string(), std::ios::binary) << text;
  ExecOptions options;
  options.file_roots = {root.str()};
  // The command claims a hash and reads nothing from disk: what it got is
  // what the worker read, and the context's hash is the worker's.
  options.command = python(
      "import json, sys\n"
      "job = json.load(sys.stdin)\n"
      "print(json.dumps({\"summary\": job[\"content\"].strip() + \" \" + "
      "job[\"content_hash\"][:8], \"content_hash\": 64 * \"f\"}))");
  Job job = job_for("ucxl://p/main.go", "");
  job.content.reset();
  job.file_path = (root / "main.go").string();
  job.content_hash = std::string(64, 'e');
  auto context = ExecEngine(options).generate(job);
  REQUIRE(context.ok());
  CHECK(context->content_hash == content_hash(std::string_view(text)));
  CHECK(context->summary ==
        "package main " + context->content_hash.substr(0, 8));
  CHECK(context->metrics.bytes == text.size());

  job.file_path = "/etc/passwd";
  context = ExecEngine(options).generate(job);
  REQUIRE_FALSE(context.ok());
  CHECK(context.error().code == ErrorCode::not_found);
  CHECK(context.error().reason == kFileRefused);
}

}  // namespace
}  // namespace slurp::worker
