#include "src/node/retry_backoff.h"

#include <catch2/catch.hpp>

namespace slurp::node {
namespace {

TEST_CASE("retries back off exponentially up to 64x", "[backoff]") {
  CHECK(retry_delay_ms(500, 1, 0.0) == 500);
  CHECK(retry_delay_ms(500, 2, 0.0) == 1000);
  CHECK(retry_delay_ms(500, 3, 0.0) == 2000);
  CHECK(retry_delay_ms(500, 7, 0.0) == 500 * 64);
  CHECK(retry_delay_ms(500, 50, 0.0) == 500 * 64);  // capped
  CHECK(retry_delay_ms(500, 0, 0.0) == 500);        // never below base
}

TEST_CASE("jitter adds at most half the delay", "[backoff]") {
  CHECK(retry_delay_ms(1000, 2, 1.0) == 3000);
  CHECK(retry_delay_ms(1000, 2, 0.5) == 2500);
  CHECK(retry_delay_ms(1000, 2, 7.0) == 3000);   // clamped
  CHECK(retry_delay_ms(1000, 2, -1.0) == 2000);  // clamped
  for (std::uint64_t attempt = 1; attempt < 10; ++attempt) {
    const std::uint64_t low = retry_delay_ms(100, attempt, 0.0);
    const std::uint64_t high = retry_delay_ms(100, attempt, 1.0);
    CHECK(high == low + low / 2);
    if (attempt > 1 && attempt <= 7) {
      CHECK(low == 2 * retry_delay_ms(100, attempt - 1, 0.0));
    }
  }
}

}  // namespace
}  // namespace slurp::node
