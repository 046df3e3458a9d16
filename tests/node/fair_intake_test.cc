#include "src/node/fair_intake.h"

#include <catch2/catch.hpp>
#include <string>

namespace slurp::node {
namespace {

using Intake = FairIntake<std::string>;
const Intake::Budget kBudget{4, 100};

bool admit(Intake& intake, std::uint8_t peer, std::string item) {
  const std::size_t bytes = item.size();
  return intake.admit(Bytes{peer}, item, bytes, kBudget);
}

TEST_CASE("connections are served in turn, each in order", "[intake]") {
  Intake intake(100, 1000);
  for (int i = 0; i < 4; ++i)
    REQUIRE(admit(intake, 1, "a" + std::to_string(i)));
  REQUIRE(admit(intake, 2, "b0"));
  REQUIRE(admit(intake, 2, "b1"));
  std::string order;
  while (auto next = intake.next()) order += *next + " ";
  CHECK(order == "a0 b0 a1 b1 a2 a3 ");
  CHECK(intake.messages() == 0);
  CHECK(intake.bytes() == 0);
}

TEST_CASE("one connection's flood is refused past its budget, others are not",
          "[intake]") {
  Intake intake(100, 1000);
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) admitted += admit(intake, 1, "flood");
  CHECK(admitted == 4);
  CHECK(admit(intake, 2, "ping"));
  // Bytes count too: 100 per connection.
  CHECK_FALSE(admit(intake, 3, std::string(101, 'x')));
  CHECK(admit(intake, 3, std::string(100, 'x')));
}

TEST_CASE("the total is bounded in messages and bytes", "[intake]") {
  Intake intake(5, 150);
  CHECK(admit(intake, 1, std::string(100, 'x')));
  CHECK_FALSE(admit(intake, 2, std::string(60, 'y')));
  CHECK(admit(intake, 2, std::string(50, 'y')));
  CHECK(intake.bytes() == 150);
}

TEST_CASE("forget drops what a connection has waiting", "[intake]") {
  Intake intake(100, 1000);
  admit(intake, 1, "a");
  admit(intake, 1, "b");
  admit(intake, 2, "c");
  intake.forget(Bytes{1});
  CHECK(intake.messages() == 1);
  CHECK(intake.bytes() == 1);
  CHECK(intake.next() == std::optional<std::string>("c"));
  CHECK_FALSE(intake.next());
  // A forgotten connection may come back.
  CHECK(admit(intake, 1, "d"));
  CHECK(intake.next() == std::optional<std::string>("d"));
}

}  // namespace
}  // namespace slurp::node
