// Job batches stay under the message limit (src/node/job_batches.h).
#include "src/node/job_batches.h"

#include <catch2/catch.hpp>

#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/wire_size.h"

namespace slurp::node {
namespace {

Job job_with(std::uint64_t id, std::size_t content_bytes) {
  Job job;
  job.job_id = id;
  job.attempt = 1;
  job.lease_ms = 1000;
  job.address = "ucxl://p/f" + std::to_string(id);
  job.role = "developer";
  job.content = Bytes(content_bytes, 'x');
  return job;
}

TEST_CASE("big jobs are split into batches a worker accepts", "[batches]") {
  std::vector<Job> jobs;
  for (std::uint64_t id = 1; id <= 5; ++id) {
    jobs.push_back(job_with(id, 2 * 1024 * 1024));
  }
  jobs.push_back(job_with(6, 10));
  auto batches = split_job_batches(jobs, 7, "n1");
  // 2 MiB each: only one fits with another under 4 MiB less slack.
  REQUIRE(batches.size() == 5);
  std::vector<std::uint64_t> order;
  for (const JobBatch& batch : batches) {
    CHECK(batch.term == 7);
    CHECK(batch.leader == "n1");
    CHECK(encode(batch).size() <= limits::message_bytes_max);
    for (const Job& job : batch.jobs) order.push_back(job.job_id);
  }
  CHECK(order == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("small jobs share one batch", "[batches]") {
  std::vector<Job> jobs;
  for (std::uint64_t id = 1; id <= 64; ++id) jobs.push_back(job_with(id, 100));
  auto batches = split_job_batches(jobs, 1, "n1");
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].jobs.size() == 64);
}

TEST_CASE("the estimate is an upper bound on the encoded size", "[batches]") {
  Job job = job_with(1, 1000);
  job.depends_on = {"ucxl://p/a", "ucxl://p/b"};
  Context dependency;
  dependency.address = "ucxl://p/a";
  dependency.summary = std::string(256, 's');
  dependency.symbols = {Symbol{"main", "function", 3}};
  dependency.languages = {LanguageShare{"c", 1, 10}};
  job.dependencies = {dependency, dependency};
  auto batches = split_job_batches({job}, 1, "n1");
  REQUIRE(batches.size() == 1);
  CHECK(encode(batches[0]).size() <= wire_bytes_estimate(job) + 64);
}

TEST_CASE("a job too big with its dependencies goes without them",
          "[batches]") {
  Job job = job_with(1, limits::content_bytes_max);
  Context dependency;
  dependency.address = "ucxl://p/dep";
  dependency.summary = std::string(256, 's');
  for (int i = 0; i < 4000; ++i) job.dependencies.push_back(dependency);
  auto batches = split_job_batches({job}, 1, "n1");
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].jobs[0].dependencies.empty());
  CHECK(encode(batches[0]).size() <= limits::message_bytes_max);
}

}  // namespace
}  // namespace slurp::node
