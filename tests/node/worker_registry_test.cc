// The leader's view of workers and result rates (src/node/worker_registry.h).
#include "src/node/worker_registry.h"

#include <catch2/catch.hpp>

#include "protocol/limits.h"

namespace slurp::node {
namespace {

TEST_CASE("workers are listed most recent first with their counts",
          "[workers]") {
  WorkerRegistry r;
  r.record("w1", 10, 1, 1'000'000);
  r.record("w2", 5, 0, 1'000'500);
  r.record("w1", 2, 0, 1'000'800);
  auto workers = r.workers(1'001'000);
  REQUIRE(workers.size() == 2);
  CHECK(workers[0] == WorkerStatus{"w1", 12, 1, 200});
  CHECK(workers[1] == WorkerStatus{"w2", 5, 0, 500});
}

TEST_CASE("a silent worker is forgotten", "[workers]") {
  WorkerRegistry r;
  r.record("old", 1, 0, 1'000'000);
  r.record("new", 1, 0, 1'000'000 + limits::worker_forget_ms);
  auto workers = r.workers(1'000'001 + limits::worker_forget_ms);
  REQUIRE(workers.size() == 1);
  CHECK(workers[0].name == "new");
}

TEST_CASE("rates average over the window and fall to zero after it",
          "[workers]") {
  WorkerRegistry r;
  const std::uint64_t t0 = 2'000'000;
  for (std::uint64_t s = 0; s < 10; ++s) r.record("w", 100, 10, t0 + s * 1000);
  // 1,000 completions and 100 failures over the 10 s window.
  CHECK(r.completed_per_s(t0 + 10'000) == Approx(100.0));
  CHECK(r.failed_per_s(t0 + 10'000) == Approx(10.0));
  CHECK(r.completed_per_s(t0 + 10'000 + limits::status_rate_window_ms) == 0.0);
  CHECK(WorkerRegistry().completed_per_s(t0) == 0.0);
}

TEST_CASE("made-up worker names cannot grow the registry without bound",
          "[workers]") {
  WorkerRegistry r;
  for (std::size_t i = 0; i < 10 * limits::status_workers_max; ++i) {
    r.record("w" + std::to_string(i), 1, 0, 5'000'000);
  }
  CHECK(r.workers(5'000'000).size() == limits::status_workers_max);
  CHECK(r.completed_per_s(5'000'000) > 0.0);
}

}  // namespace
}  // namespace slurp::node
