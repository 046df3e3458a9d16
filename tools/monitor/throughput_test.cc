// tools/monitor/throughput.h: rates from cumulative counts, and the
// sparkline.
#include "tools/monitor/throughput.h"

#include <catch2/catch.hpp>

namespace slurp::monitor {
namespace {

using std::chrono::milliseconds;

TEST_CASE("a rate per second from successive totals") {
  Throughput t;
  const auto t0 = Throughput::Clock::time_point{} + milliseconds(1000000);
  t.sample(t0, 100);
  CHECK_FALSE(t.latest());
  t.sample(t0 + milliseconds(1000), 110);
  REQUIRE(t.latest());
  CHECK(*t.latest() == Approx(10.0));
  // A missed answer: the 3 s interval's average fills each of its seconds.
  t.sample(t0 + milliseconds(4000), 140);
  REQUIRE(t.per_second().size() == 4);
  CHECK(t.per_second()[3] == Approx(10.0));
  CHECK(t.peak() == Approx(10.0));
  // A smaller total (a new cluster) counts as nothing done.
  t.sample(t0 + milliseconds(5000), 5);
  CHECK(*t.latest() == Approx(0.0));
}

TEST_CASE("at most seconds_max values are kept") {
  Throughput t;
  auto at = Throughput::Clock::time_point{} + milliseconds(1000000);
  for (int i = 0; i < 200; ++i) {
    t.sample(at, static_cast<std::uint64_t>(i));
    at += milliseconds(1000);
  }
  CHECK(t.per_second().size() == Throughput::seconds_max);
}

TEST_CASE("sparkline: right-aligned and scaled to the peak with 0 blank") {
  CHECK(sparkline({}, 3) == "   ");
  CHECK(sparkline({0, 1, 8}, 3) == " ▁█");
  CHECK(sparkline({4, 8}, 4) == "  ▄█");
  // Wider history than the line: only the newest values.
  CHECK(sparkline({8, 8, 1, 2}, 2) == "▄█");
}

}  // namespace
}  // namespace slurp::monitor
