// Aggregating refusals (issue 12, item 4): a flood of one refusal becomes
// two records per interval, and distinct keys cannot grow the table.
#include "src/security/refusal_aggregator.h"

#include <catch2/catch.hpp>
#include <string>

namespace slurp::security {
namespace {

TEST_CASE("repeats within the interval are counted, then summarized",
          "[aggregator]") {
  RefusalAggregator agg(10000, 16);
  CHECK(agg.admit("request.rejected", "m", "bad_request", "d0", 1000));
  for (int i = 1; i < 1000; ++i) {
    CHECK_FALSE(agg.admit("request.rejected", "m", "bad_request",
                          "d" + std::to_string(i), 1000 + std::uint64_t(i)));
  }
  CHECK(agg.expire(10999).empty());  // the interval has not ended
  CHECK(agg.next_expiry_ms() == 11000);
  auto out = agg.expire(11000);
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == "request.rejected.repeated");
  CHECK(out[0].actor == "m");
  CHECK(out[0].detail.rfind("999 more (bad_request)", 0) == 0);
  CHECK(out[0].detail.find("last: d999") != std::string::npos);
  CHECK(agg.keys() == 0);
  // The next refusal opens a new interval and is written again.
  CHECK(agg.admit("request.rejected", "m", "bad_request", "again", 11001));
}

TEST_CASE("a single refusal ends silently", "[aggregator]") {
  RefusalAggregator agg(100, 16);
  CHECK(agg.admit("auth.refused", "k", "unknown_key", "x", 0));
  CHECK(agg.expire(1000).empty());
  CHECK(agg.keys() == 0);
  CHECK_FALSE(agg.next_expiry_ms());
}

TEST_CASE("reason and actor are part of the key", "[aggregator]") {
  RefusalAggregator agg(100, 16);
  CHECK(agg.admit("request.rejected", "m", "bad_request", "x", 0));
  CHECK(agg.admit("request.rejected", "m", "forbidden", "x", 0));
  CHECK(agg.admit("request.rejected", "e", "bad_request", "x", 0));
  CHECK(agg.keys() == 3);
}

TEST_CASE("distinct keys past the bound share one counter", "[aggregator]") {
  RefusalAggregator agg(100, 4);
  std::size_t written = 0;
  for (int i = 0; i < 10000; ++i) {
    written += agg.admit("auth.refused", "key" + std::to_string(i),
                         "unknown_key", std::string(100000, 'x'), 5);
  }
  CHECK(written == 4);
  CHECK(agg.keys() == 4);
  auto out = agg.expire(105);
  REQUIRE(out.size() == 1);  // the four had no repeats
  CHECK(out[0].kind == "audit.refusals_other");
  CHECK(out[0].detail.rfind("9996 refusals", 0) == 0);
  CHECK(out[0].detail.size() < 1024);
}

TEST_CASE("drain summarizes everything pending", "[aggregator]") {
  RefusalAggregator agg(100000, 1);
  agg.admit("k", "a", "r", "x", 0);
  agg.admit("k", "a", "r", "y", 1);
  agg.admit("k", "b", "r", "z", 2);  // table full: other
  auto out = agg.drain();
  REQUIRE(out.size() == 2);
  CHECK(out[0].detail.rfind("1 more (r)", 0) == 0);
  CHECK(out[1].kind == "audit.refusals_other");
  CHECK(agg.keys() == 0);
}

}  // namespace
}  // namespace slurp::security
