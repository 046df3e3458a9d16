// The exec engine's JSON contract (PROTOCOL.md, "Exec engine"): what a
// command reads, and how strictly its answer is read.
#include "src/worker/context_json.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "protocol/limits.h"
#include "protocol/ucxl_address.h"
#include "src/worker/utf8.h"

namespace slurp::worker {
namespace {

using Json = nlohmann::json;

Job text_job() {
  Job job;
  job.job_id = 42;
  job.attempt = 2;
  job.lease_ms = 30000;
  job.address = parse_ucxl("ucxl://proj/src/main.go")->to_string();
  job.role = "developer";
  job.priority = Priority::high;
  const std::string text = "package main // héllo\n";
  job.content = Bytes(text.begin(), text.end());
  return job;
}

Context full_context(const std::string& address) {
  Context c;
  c.address = address;
  c.content_hash = std::string(64, 'a');
  c.language = "go";
  c.summary = "Entry point.";
  c.purpose = "starts things";
  c.technologies = {"net/http"};
  c.tags = {"entry_point"};
  c.symbols = {{"main", "function", 3}, {"Server", "struct", 10}};
  c.imports = {"fmt"};
  c.metrics = {40, 6, 5, 1234};
  c.todos = {"handle SIGTERM"};
  c.license = "MIT";
  c.confidence = 0.75;
  c.languages = {{"go", 1, 40}};
  return c;
}

std::string failure(std::string_view text, const Job& job) {
  auto context = context_from_json(text, job);
  REQUIRE_FALSE(context.ok());
  return context.error().describe();
}

TEST_CASE("job JSON: every field, text content as a string", "[exec]") {
  Job job = text_job();
  job.file_path = "/src/main.go";
  job.content_hash = std::string(64, 'b');
  job.depends_on = {"ucxl://proj/src/util.go"};
  job.failed_dependencies = {"ucxl://proj/src/util.go"};
  job.dependencies = {full_context("ucxl://proj/src/util.go")};
  const Json j = Json::parse(job_to_json(job));
  CHECK(j["job_id"] == 42);
  CHECK(j["attempt"] == 2);
  CHECK(j["lease_ms"] == 30000);
  CHECK(j["address"] == job.address);
  CHECK(j["path"] == "src/main.go");
  CHECK(j["role"] == "developer");
  CHECK(j["priority"] == "high");
  CHECK(j["content"] == "package main // héllo\n");
  CHECK_FALSE(j.contains("content_base64"));
  CHECK(j["file_path"] == "/src/main.go");
  CHECK(j["content_hash"] == std::string(64, 'b'));
  CHECK(j["depends_on"] == Json::array({"ucxl://proj/src/util.go"}));
  CHECK(j["failed_dependencies"] == Json::array({"ucxl://proj/src/util.go"}));
  REQUIRE(j["dependencies"].size() == 1);
  CHECK(j["dependencies"][0]["summary"] == "Entry point.");
  CHECK(j["dependencies"][0]["symbols"][1]["line"] == 10);
  CHECK(j["dependencies"][0]["license"] == "MIT");
}

TEST_CASE("job JSON: absent optionals are left out", "[exec]") {
  Job job = text_job();
  job.content.reset();
  const Json j = Json::parse(job_to_json(job));
  CHECK_FALSE(j.contains("content"));
  CHECK_FALSE(j.contains("content_base64"));
  CHECK_FALSE(j.contains("file_path"));
  CHECK_FALSE(j.contains("content_hash"));
  CHECK(j["depends_on"] == Json::array());
  CHECK(j["dependencies"] == Json::array());
}

TEST_CASE("job JSON: bytes that are not UTF-8 go as content_base64", "[exec]") {
  Job job = text_job();
  SECTION("binary") {
    job.content = Bytes{0x7f, 'E', 'L', 'F', 0xff, 0x00};
  }
  SECTION("an overlong encoding") {
    job.content = Bytes{'a', 0xc0, 0xaf};
  }
  SECTION("a UTF-16 surrogate") {
    job.content = Bytes{0xed, 0xa0, 0x80};
  }
  SECTION("a sequence cut short") {
    job.content = Bytes{'a', 0xe2, 0x82};
  }
  const Json j = Json::parse(job_to_json(job));
  CHECK_FALSE(j.contains("content"));
  REQUIRE(j.contains("content_base64"));
  CHECK(j["content_base64"].get<std::string>().size() % 4 == 0);
  if (*job.content == Bytes{0x7f, 'E', 'L', 'F', 0xff, 0x00}) {
    CHECK(j["content_base64"] == "f0VMRv8A");
  }
}

TEST_CASE("context JSON round trip: what we write, we read", "[exec]") {
  const Job job = text_job();
  const Context c = full_context(job.address);
  auto back = context_from_json(context_to_json(c), job);
  REQUIRE(back.ok());
  CHECK(*back == c);
}

TEST_CASE("missing and null fields default, unknown fields are ignored",
          "[exec]") {
  const Job job = text_job();
  auto c = context_from_json(
      R"({"summary": "hi", "license": null, "tags": null, "model": "x",
          "extra": {"nested": [1, 2, {"deep": true}]}})",
      job);
  REQUIRE(c.ok());
  CHECK(c->summary == "hi");
  CHECK(c->address == job.address);
  CHECK_FALSE(c->license);
  CHECK(c->tags.empty());
  CHECK(c->confidence == 0.0);
  // Facts the job knows: its bytes' hash and size.
  CHECK(c->content_hash.size() == 64);
  CHECK(c->metrics.bytes == job.content->size());
}

TEST_CASE("fields the worker and the cluster own are ignored", "[exec]") {
  const Job job = text_job();
  auto c = context_from_json(
      R"({"version": "seven", "engine": 1, "engine_version": [],
          "generated_at_ms": -1, "metrics": {"bytes": 7}})",
      job);
  REQUIRE(c.ok());
  CHECK(c->version == 0);
  CHECK(c->engine.empty());
  CHECK(c->engine_version.empty());
  CHECK(c->generated_at_ms == 0);
  CHECK(c->metrics.bytes == 7);  // given, so kept
}

TEST_CASE("a mistyped field is an error naming it", "[exec]") {
  const Job job = text_job();
  CHECK(failure(R"({"symbols": [{"name": "a", "kind": "f", "line": 1},
                                {"name": "b", "kind": "f", "line": 2},
                                {"name": "c", "kind": "f", "line": "3"}]})",
                job) ==
        "bad_request: symbols[2].line: expected an unsigned integer, got a "
        "string");
  CHECK(failure(R"({"summary": 5})", job) ==
        "bad_request: summary: expected a string, got an unsigned integer");
  CHECK(failure(R"({"tags": "test"})", job) ==
        "bad_request: tags: expected an array, got a string");
  CHECK(failure(R"({"tags": ["a", false]})", job) ==
        "bad_request: tags[1]: expected a string, got a boolean");
  CHECK(failure(R"({"metrics": {"lines_code": -4}})", job) ==
        "bad_request: metrics.lines_code: expected an unsigned integer, got a "
        "negative integer");
  CHECK(failure(R"({"metrics": {"bytes": 1.5}})", job) ==
        "bad_request: metrics.bytes: expected an unsigned integer, got a "
        "number with a fraction");
  CHECK(failure(R"({"symbols": ["main"]})", job) ==
        "bad_request: symbols[0]: expected an object, got a string");
  CHECK(failure(R"({"confidence": "high"})", job) ==
        "bad_request: confidence: expected a number, got a string");
  CHECK(failure(R"({"languages": [{"language": "go", "files": {}}]})", job) ==
        "bad_request: languages[0].files: expected an unsigned integer, got "
        "an object");
}

TEST_CASE("confidence is a finite number from 0 to 1", "[exec]") {
  const Job job = text_job();
  CHECK(context_from_json(R"({"confidence": 1})", job).ok());
  CHECK(context_from_json(R"({"confidence": 0})", job).ok());
  CHECK(context_from_json(R"({"confidence": 0.5})", job)->confidence == 0.5);
  CHECK(failure(R"({"confidence": 1.01})", job) ==
        "bad_request: confidence: expected a number from 0 to 1");
  CHECK(failure(R"({"confidence": -0.1})", job) ==
        "bad_request: confidence: expected a number from 0 to 1");
  CHECK(failure(R"({"confidence": 1e999})", job) ==
        "bad_request: not JSON: number overflow parsing '1e999'");
}

TEST_CASE("the address, when given, must be the job's", "[exec]") {
  const Job job = text_job();
  CHECK(context_from_json(R"({"address": "ucxl://proj/src/main.go"})", job)
            .ok());  // the short form of the same address
  CHECK(context_from_json(R"({"address": null})", job).ok());
  CHECK(failure(R"({"address": "ucxl://proj/src/other.go"})", job) ==
        "bad_request: address: not the job's address (" + job.address + ")");
  CHECK(failure(R"({"address": 3})", job) ==
        "bad_request: address: expected a string, got an unsigned integer");
}

TEST_CASE("what is not a JSON object is refused with a reason", "[exec]") {
  const Job job = text_job();
  CHECK(failure("", job) == "bad_request: empty output");
  CHECK(failure(" \n", job) == "bad_request: empty output");
  CHECK(failure("[1, 2]", job) ==
        "bad_request: expected a JSON object, got an array");
  CHECK(failure("Sure! Here is the context: {}", job)
            .starts_with("bad_request: not JSON: parse error at line 1"));
  CHECK(failure(R"({"summary": "a"} trailing)", job)
            .starts_with("bad_request: not JSON: "));
  CHECK(failure("{\"summary\": \"\xff\"}", job)
            .starts_with("bad_request: not JSON: "));
  // A parser message quoting a long, broken token stays short and UTF-8.
  const std::string broken =
      failure("{\"summary\": \"" + std::string(100000, 'a') + "\xff\"}", job);
  CHECK(broken.starts_with("bad_request: not JSON: "));
  CHECK(broken.size() <= std::string("bad_request: not JSON: ").size() + 200);
  CHECK(is_utf8(broken));
  const std::string deep(limits::exec_json_depth_max + 1, '[');
  CHECK(failure("{\"x\": " + deep, job) ==
        "bad_request: nested deeper than " +
            std::to_string(limits::exec_json_depth_max));
}

TEST_CASE("a context over its list budget is too large", "[exec]") {
  const Job job = text_job();
  std::string tags = "[";
  for (std::size_t i = 0; i <= limits::exec_context_items_max; ++i) {
    tags += i ? ",\"t\"" : "\"t\"";
  }
  tags += "]";
  CHECK(failure("{\"tags\": " + tags + "}", job)
            .starts_with("too_large: tags: the context's lists hold over"));
}

}  // namespace
}  // namespace slurp::worker
