// Leadership transfer (§3.10).
#include <catch2/catch.hpp>

#include "tests/consensus/raft_test_util.h"
#include "tests/consensus/test_cluster.h"

namespace slurp::consensus::test {
namespace {

TEST_CASE("transfer to an up-to-date follower despite pre-vote stickiness",
          "[raft][raft-3.10]") {
  TestCluster c(3);  // pre-vote and check-quorum on
  c.elect("n1");
  c.tick_all(1);
  REQUIRE(c.raft("n1").transfer_leadership("n2").ok());
  CHECK(c.raft("n1").transfer_target() == NodeId("n2"));
  auto refused = c.raft("n1").propose(1, bytes("x"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::conflict);
  c.deliver_all();
  CHECK(c.raft("n2").role() == RaftRole::leader);
  CHECK(c.raft("n2").term() == 2);
  CHECK(c.raft("n1").role() == RaftRole::follower);
  CHECK(c.raft("n1").leader() == NodeId("n2"));
  CHECK(c.leaders() == 1);
}

TEST_CASE("transfer first brings a lagging target up to date",
          "[raft][raft-3.10]") {
  TestCluster c(3);
  c.elect("n1");
  c.tick_all(1);
  c.cut.insert({"n1", "n3"});
  for (int i = 0; i < 5; ++i) REQUIRE(c.raft("n1").propose(1, bytes("x")).ok());
  c.deliver_all();
  REQUIRE(c.raft("n3").last_index() < c.raft("n1").last_index());
  c.heal();
  REQUIRE(c.raft("n1").transfer_leadership("n3").ok());
  for (int i = 0; i < 10 && c.raft("n3").role() != RaftRole::leader; ++i) {
    c.tick_all(1);
  }
  CHECK(c.raft("n3").role() == RaftRole::leader);
  CHECK(c.raft("n3").last_index() >= 7);
}

TEST_CASE("a transfer that cannot finish is aborted after an election timeout",
          "[raft][raft-3.10]") {
  TestCluster c(3);
  c.elect("n1");
  c.tick_all(1);
  c.isolate("n3");
  c.cut.erase({"n1", "n3"});  // n3 hears n1 but cannot answer
  REQUIRE(c.raft("n1").propose(1, bytes("x")).ok());
  REQUIRE(c.raft("n1").transfer_leadership("n3").ok());
  CHECK(c.raft("n1").transfer_leadership("n2").error().code ==
        ErrorCode::conflict);
  CHECK(c.raft("n2").transfer_leadership("n3").error().code ==
        ErrorCode::not_leader);
  CHECK(c.raft("n1").transfer_leadership("nobody").error().field == "to");
  c.tick_all(10);
  CHECK_FALSE(c.raft("n1").transfer_target());
  CHECK(c.raft("n1").role() == RaftRole::leader);
  CHECK(c.raft("n1").propose(1, bytes("y")).ok());
}

}  // namespace
}  // namespace slurp::consensus::test
