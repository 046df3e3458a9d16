#include "tools/bench/synthetic_context.h"

#include <catch2/catch.hpp>

#include "protocol/codec.h"
#include "protocol/field_rules.h"

namespace slurp::bench {
namespace {

TEST_CASE("a synthetic context is about 2 KB encoded, with realistic parts",
          "[synthetic_context]") {
  std::size_t smallest = SIZE_MAX, largest = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    const Context c = synthetic_context(i);
    const std::size_t bytes = encode(UpdateContext{1, c}).size();
    smallest = std::min(smallest, bytes);
    largest = std::max(largest, bytes);
    REQUIRE(c.symbols.size() == 20);
    REQUIRE(c.imports.size() == 8);
    REQUIRE(c.summary.size() > 300);
  }
  CHECK(smallest >= 1700);
  CHECK(largest <= 2400);
}

TEST_CASE("synthetic contexts depend on the index alone",
          "[synthetic_context]") {
  CHECK(synthetic_context(42) == synthetic_context(42));
  CHECK(synthetic_context(42).content_hash !=
        synthetic_context(43).content_hash);
  CHECK(synthetic_address(1234567) == "ucxl://bench-store/d1234/f1234567.go");
  CHECK(synthetic_context(7).address == synthetic_address(7));
  CHECK(synthetic_address(7).starts_with(kSyntheticPrefix));
}

TEST_CASE("a node would take every synthetic context", "[synthetic_context]") {
  for (std::uint64_t i : {0ULL, 1ULL, 999999ULL, 5000000ULL}) {
    INFO("index " << i);
    const std::string bytes = encode(UpdateContext{1, synthetic_context(i)});
    auto decoded = decode(bytes);
    REQUIRE(decoded.ok());
    const auto& update = std::get<UpdateContext>(*decoded);
    CHECK(check_client_context(update.context, "context.").ok());
  }
}

}  // namespace
}  // namespace slurp::bench
