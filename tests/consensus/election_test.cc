// Elections (§3.4), pre-vote (§9.6), stickiness (§4.2.3), check-quorum
// (§6.2) and the persist-before-send contract for votes.
#include <catch2/catch.hpp>
#include <set>

#include "tests/consensus/raft_test_util.h"
#include "tests/consensus/test_cluster.h"

namespace slurp::consensus::test {
namespace {

void no_pre_vote(Config& c) {
  c.pre_vote = false;
}

TEST_CASE("a follower times out, campaigns and wins with a majority",
          "[raft][raft-3.4]") {
  for (std::size_t n : {3u, 5u}) {
    TestCluster c(n);
    c.elect("n1");
    CHECK(c.raft("n1").term() == 1);  // the pre-vote did not bump it
    CHECK(c.raft("n1").counters().elections_started == 1);
    for (const NodeId& id : c.ids) {
      CHECK(c.raft(id).term() == 1);
      CHECK(c.raft(id).leader() == NodeId("n1"));
    }
    // Heartbeats keep everyone in place for a long time.
    c.tick_all(200);
    CHECK(c.raft("n1").role() == RaftRole::leader);
    CHECK(c.raft("n1").term() == 1);
    CHECK(c.leaders() == 1);
  }
}

// Ticks between successive elections of a lone candidate.
std::vector<std::uint64_t> timeouts(const NodeId& id, std::uint64_t seed) {
  auto raft = make_raft(id, 3, {}, [&](Config& c) {
    c.pre_vote = false;
    c.seed = seed;
  });
  std::vector<std::uint64_t> out;
  std::uint64_t ticks = 0, term = raft->term();
  while (out.size() < 20) {
    raft->tick();
    ++ticks;
    if (raft->term() != term) {
      out.push_back(ticks);
      ticks = 0;
      term = raft->term();
    }
    drain(*raft);
  }
  return out;
}

TEST_CASE("election timeouts are random between min and max and seeded",
          "[raft][raft-3.4]") {
  auto a = timeouts("n1", 7);
  std::set<std::uint64_t> distinct(a.begin(), a.end());
  for (std::uint64_t t : a) {
    CHECK(t >= 10);
    CHECK(t < 20);
  }
  CHECK(distinct.size() > 3);
  CHECK(timeouts("n1", 7) == a);  // deterministic
  CHECK(timeouts("n2", 7) != a);  // node id mixed into the seed
  CHECK(timeouts("n1", 8) != a);
}

TEST_CASE("a follower grants at most one vote per term", "[raft][raft-3.4]") {
  auto raft = make_raft("n3", 3);
  raft->step(Vote{1, "n1", 0, 0, false});
  auto r1 = drain(*raft);
  auto replies = messages_of<VoteReply>(r1);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].granted);

  raft->step(Vote{1, "n2", 0, 0, false});
  replies = messages_of<VoteReply>(drain(*raft));
  REQUIRE(replies.size() == 1);
  CHECK_FALSE(replies[0].granted);

  // Asking again for the same candidate is answered the same way.
  raft->step(Vote{1, "n1", 0, 0, false});
  replies = messages_of<VoteReply>(drain(*raft));
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].granted);
}

TEST_CASE("a voter refuses a candidate whose log is behind",
          "[raft][raft-3.6.1]") {
  InitialState init;
  init.hard_state.term = 2;
  init.entries = {{1, 1, 1, {}}, {2, 2, 1, {}}};
  auto raft = make_raft("n3", 3, init);
  raft->step(Vote{3, "n1", 5, 1, false});  // longer but older last term
  auto replies = messages_of<VoteReply>(drain(*raft));
  REQUIRE(replies.size() == 1);
  CHECK_FALSE(replies[0].granted);
  CHECK(raft->term() == 3);  // the term is still adopted
  raft->step(Vote{3, "n2", 2, 2, false});
  replies = messages_of<VoteReply>(drain(*raft));
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].granted);
}

TEST_CASE("a granted vote is in the hard state of the same Ready",
          "[raft][raft-3.8]") {
  auto raft = make_raft("n2", 3);
  raft->step(Vote{4, "n1", 0, 0, false});
  REQUIRE(raft->has_ready());
  Ready r = raft->ready();
  auto replies = messages_of<VoteReply>(r);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].granted);
  REQUIRE(r.hard_state);
  CHECK(r.hard_state->term == 4);
  CHECK(r.hard_state->voted_for == "n1");
  raft->advance(r);
  CHECK_FALSE(raft->has_ready());
}

TEST_CASE("pre-vote: a rejoining partitioned node does not disrupt",
          "[raft][raft-9.6]") {
  TestCluster c(3);
  c.elect("n1");
  c.isolate("n3");
  c.tick("n3", 200);
  CHECK(c.raft("n3").term() == 1);  // pre-votes never raise the term
  CHECK(c.raft("n3").role() == RaftRole::pre_candidate);
  c.heal();
  c.tick_all(30);
  CHECK(c.raft("n1").role() == RaftRole::leader);
  CHECK(c.raft("n1").term() == 1);
  CHECK(c.raft("n3").leader() == NodeId("n1"));
}

TEST_CASE("without pre-vote a rejoining node does disrupt",
          "[raft][raft-9.6]") {
  TestCluster c(3, no_pre_vote);
  c.elect("n1");
  c.isolate("n3");
  c.tick("n3", 200);
  CHECK(c.raft("n3").term() > 5);
  c.heal();
  c.tick_all(30);
  CHECK(c.raft("n1").term() > 5);  // the whole cluster moved on
}

TEST_CASE("pre-votes are refused while the voter hears from a leader",
          "[raft][raft-4.2.3]") {
  TestCluster c(3);
  c.elect("n1");
  Raft& n2 = c.raft("n2");
  const std::uint64_t last = n2.last_index();
  n2.step(Vote{2, "n3", last + 10, 1, true});
  auto replies = messages_of<VoteReply>(drain(n2));
  REQUIRE(replies.size() == 1);
  CHECK_FALSE(replies[0].granted);
  CHECK(replies[0].pre_vote);
  CHECK(n2.term() == 1);
  // The leader itself refuses too.
  c.raft("n1").step(Vote{2, "n3", last + 10, 1, true});
  replies = messages_of<VoteReply>(drain(c.raft("n1")));
  REQUIRE(replies.size() == 1);
  CHECK_FALSE(replies[0].granted);

  // After election_ticks_min without the leader, the pre-vote is granted
  // and still changes nothing.
  c.isolate("n1");
  for (int i = 0; i < 10; ++i) {
    n2.tick();
    drain(n2);
  }
  n2.step(Vote{2, "n3", last + 10, 1, true});
  replies = messages_of<VoteReply>(drain(n2));
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].granted);
  CHECK(replies[0].term == 2);
  CHECK(n2.term() == 1);
}

TEST_CASE("check-quorum: a leader cut off from a majority steps down",
          "[raft][raft-6.2]") {
  TestCluster c(3);
  c.elect("n1");
  c.isolate("n1");
  c.tick("n1", 25);
  CHECK(c.raft("n1").role() == RaftRole::follower);
  CHECK_FALSE(c.raft("n1").leader());
  // The majority side elects a new leader.
  for (int i = 0; i < 60 && c.leaders() == 0; ++i) {
    c.tick("n2");
    c.tick("n3");
    c.deliver_all();
  }
  CHECK(c.leaders() == 1);
  CHECK(c.raft("n1").role() == RaftRole::follower);
}

TEST_CASE("without check-quorum a cut-off leader stays leader",
          "[raft][raft-6.2]") {
  TestCluster c(3, [](Config& cfg) { cfg.check_quorum = false; });
  c.elect("n1");
  c.isolate("n1");
  c.tick("n1", 100);
  CHECK(c.raft("n1").role() == RaftRole::leader);
}

TEST_CASE("fault double_vote lets two leaders share a term",
          "[raft][raft-3.4][fault]") {
  for (bool faulty : {false, true}) {
    TestCluster c(3, no_pre_vote);
    if (faulty) c.raft("n3").inject_fault_for_testing(Raft::Fault::double_vote);
    // n1 and n2 both time out before hearing from each other.
    while (c.raft("n1").role() != RaftRole::candidate) c.raft("n1").tick();
    while (c.raft("n2").role() != RaftRole::candidate) c.raft("n2").tick();
    REQUIRE(c.raft("n1").term() == c.raft("n2").term());
    c.deliver_all();
    CHECK(c.leaders() == (faulty ? 2u : 1u));
  }
}

}  // namespace
}  // namespace slurp::consensus::test
