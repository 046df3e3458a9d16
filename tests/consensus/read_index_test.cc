// Read-index (§6.4).
#include <catch2/catch.hpp>

#include "tests/consensus/raft_test_util.h"
#include "tests/consensus/test_cluster.h"

namespace slurp::consensus::test {
namespace {

TEST_CASE("a read is released after a majority acknowledges a heartbeat",
          "[raft][raft-6.4]") {
  TestCluster c(3);
  c.elect("n1");
  c.tick_all(1);
  REQUIRE(c.raft("n1").propose(1, bytes("x")).ok());
  c.deliver_all();
  REQUIRE(c.raft("n1").read_index(7).ok());
  c.process("n1");
  CHECK(c.node("n1").reads.empty());  // not before the round
  c.deliver_all();
  REQUIRE(c.node("n1").reads.size() == 1);
  CHECK(c.node("n1").reads[0].request_id == 7);
  CHECK(c.node("n1").reads[0].index == 2);
}

TEST_CASE("a partitioned leader cannot serve a read", "[raft][raft-6.4]") {
  TestCluster c(5);
  c.elect("n1");
  c.tick_all(1);
  c.isolate("n1");
  c.cut.erase({"n1", "n2"});
  c.cut.erase({"n2", "n1"});  // n1 + n2 is a minority of 5
  REQUIRE(c.raft("n1").read_index(1).ok());
  c.deliver_all();
  c.tick("n1", 3);
  c.deliver_all();
  CHECK(c.node("n1").reads.empty());
}

TEST_CASE("a new leader waits for an entry of its term before reads",
          "[raft][raft-6.4]") {
  TestCluster c(3);
  while (c.raft("n1").role() == RaftRole::follower) c.tick("n1");
  while (c.raft("n1").role() != RaftRole::leader) REQUIRE(c.deliver_one());
  REQUIRE(c.raft("n1").commit_index() == 0);
  REQUIRE(c.raft("n1").read_index(9).ok());
  c.deliver_all();
  REQUIRE(c.node("n1").reads.size() == 1);
  CHECK(c.node("n1").reads[0].index == 1);  // the no-op's index
}

TEST_CASE("read-index on one node is immediate and followers refuse",
          "[raft][raft-6.4]") {
  TestCluster one(1);
  one.elect("n1");
  REQUIRE(one.raft("n1").read_index(3).ok());
  one.process("n1");
  REQUIRE(one.node("n1").reads.size() == 1);
  CHECK(one.node("n1").reads[0].index == 1);

  TestCluster c(3, [](Config& cfg) { cfg.pending_reads_max = 2; });
  c.elect("n1");
  Status s = c.raft("n2").read_index(1);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::not_leader);
  CHECK(s.error().field == "n1");
  c.isolate("n1");
  REQUIRE(c.raft("n1").read_index(1).ok());
  REQUIRE(c.raft("n1").read_index(2).ok());
  CHECK(c.raft("n1").read_index(3).error().code == ErrorCode::queue_full);
}

}  // namespace
}  // namespace slurp::consensus::test
