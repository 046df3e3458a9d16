// Inputs between ready() and advance(), while a Ready is being persisted
// (slurpd's log writer thread, the simulator's fsync): what may leave
// early (Raft::take_early_messages) and what must wait for the disk.
#include <catch2/catch.hpp>

#include "tests/consensus/raft_test_util.h"
#include "tests/consensus/test_cluster.h"

namespace slurp::consensus::test {
namespace {

template <class M>
std::vector<M> of_type(const std::vector<Envelope>& envelopes,
                       const NodeId& to = "") {
  std::vector<M> out;
  for (const Envelope& e : envelopes) {
    if (!to.empty() && e.to != to) continue;
    if (const M* m = std::get_if<M>(&e.message)) out.push_back(*m);
  }
  return out;
}

bool carries(const std::vector<Append>& appends, std::uint64_t index) {
  for (const Append& a : appends) {
    for (const LogEntry& e : a.entries) {
      if (e.index == index) return true;
    }
  }
  return false;
}

TEST_CASE(
    "a leader replicates during its own write and counts its copy only "
    "once the write is durable",
    "[raft][raft-10.2.1]") {
  TestCluster c(3);
  c.elect("n1");
  c.tick_all(2);
  Raft& leader = c.raft("n1");
  auto a = leader.propose(1, bytes("a"));
  REQUIRE(a.ok());
  Ready writing = leader.ready();  // "a" is being written
  REQUIRE_FALSE(writing.entries.empty());
  REQUIRE(writing.entries.back().index == *a);

  auto b = leader.propose(1, bytes("b"));
  REQUIRE(b.ok());
  std::vector<Envelope> early = leader.take_early_messages();
  std::vector<Envelope> sent = writing.messages;
  sent.insert(sent.end(), early.begin(), early.end());
  // "b" leaves before the write of "a" is done, to both followers.
  CHECK(carries(of_type<Append>(early, "n2"), *b));
  CHECK(carries(of_type<Append>(early, "n3"), *b));

  // n2 stores both and acknowledges; n3 hears nothing.
  for (const Envelope& e : sent) {
    if (e.to == "n2") c.raft("n2").step(e.message);
  }
  std::vector<Ready> n2_readies = drain(c.raft("n2"));
  std::vector<AppendReply> acks = messages_of<AppendReply>(n2_readies);
  REQUIRE_FALSE(acks.empty());
  CHECK(acks.back().match_index == *b);
  for (const AppendReply& ack : acks) leader.step(ack);
  // One follower is not a majority of three without the leader's own
  // copy, which is not durable yet.
  CHECK(leader.commit_index() < *a);
  // Nothing the core produced meanwhile promises the leader's disk.
  std::vector<Envelope> more = leader.take_early_messages();
  CHECK(of_type<AppendReply>(more).empty());
  CHECK(of_type<VoteReply>(more).empty());

  TestCluster::persist(c.node("n1").disk, writing);
  leader.advance(writing);
  // Its copy of "a" now counts; "b" is in the next Ready, not yet durable.
  CHECK(leader.commit_index() == *a);
}

TEST_CASE(
    "a follower acknowledges entries that arrive during its write only "
    "after the next write",
    "[raft][raft-3.5]") {
  TestCluster c(3);
  c.elect("n1");
  c.tick_all(2);
  Raft& follower = c.raft("n2");
  // Stored before the test: the first append gives n2 a Ready to write.
  follower.step(Append{
      c.raft("n1").term(),
      "n1",
      c.raft("n1").last_index(),
      c.raft("n1").term(),
      c.raft("n1").commit_index(),
      {{c.raft("n1").last_index() + 1, c.raft("n1").term(), 1, bytes("x")}},
      100});
  Ready writing = follower.ready();
  REQUIRE_FALSE(writing.entries.empty());
  const std::uint64_t first = writing.entries.back().index;
  REQUIRE(of_type<AppendReply>(writing.messages).size() == 1);

  // While it is written, the next append arrives.
  follower.step(Append{c.raft("n1").term(),
                       "n1",
                       first,
                       c.raft("n1").term(),
                       c.raft("n1").commit_index(),
                       {{first + 1, c.raft("n1").term(), 1, bytes("y")}},
                       101});
  CHECK(follower.take_early_messages().empty());

  TestCluster::persist(c.node("n2").disk, writing);
  follower.advance(writing);
  Ready next = follower.ready();
  REQUIRE(next.entries.size() == 1);
  CHECK(next.entries.front().index == first + 1);
  std::vector<AppendReply> acks = of_type<AppendReply>(next.messages);
  REQUIRE(acks.size() == 1);
  CHECK(acks.front().match_index == first + 1);
}

TEST_CASE("a vote granted during a write waits for it; a pre-vote does not",
          "[raft][raft-3.4][raft-9.6]") {
  auto raft = make_raft("n3", 3);
  raft->step(Append{1, "n1", 0, 0, 0, {{1, 1, 1, bytes("a")}}, 1});
  Ready writing = raft->ready();
  REQUIRE(writing.hard_state);

  // A pre-vote changes nothing anywhere: its answer leaves at once.
  raft->step(Vote{2, "n2", 1, 1, true});
  std::vector<Envelope> early = raft->take_early_messages();
  std::vector<VoteReply> pre = of_type<VoteReply>(early);
  REQUIRE(pre.size() == 1);
  CHECK(pre.front().pre_vote);

  // A real vote at a new term: granted only once term and vote are on disk.
  raft->step(Vote{2, "n2", 1, 1, false});
  CHECK(of_type<VoteReply>(raft->take_early_messages()).empty());
  raft->advance(writing);
  Ready next = raft->ready();
  REQUIRE(next.hard_state);
  CHECK(next.hard_state->term == 2);
  CHECK(next.hard_state->voted_for == "n2");
  std::vector<VoteReply> votes = of_type<VoteReply>(next.messages);
  REQUIRE(votes.size() == 1);
  CHECK(votes.front().granted);
  CHECK_FALSE(votes.front().pre_vote);
}

}  // namespace
}  // namespace slurp::consensus::test
