// RequestTable on its own, and through real elections: a three-node Raft
// cluster (tests/consensus/test_cluster.h) decides who leads, and the
// table is asked what the node would do with its requests at each step.
#include "src/node/request_table.h"

#include <catch2/catch.hpp>

#include "tests/consensus/test_cluster.h"

namespace slurp::node {
namespace {

using consensus::test::TestCluster;

ClientRequest request(std::uint64_t id, ClientRequestMessage message,
                      std::string connection = "c1",
                      std::uint64_t received_ms = 0) {
  ClientRequest r;
  r.route.routing_id = Bytes(connection.begin(), connection.end());
  r.requester = "alice";
  r.role = Role::developer;
  r.request = std::move(message);
  r.id = id;
  r.received_ms = received_ms;
  return r;
}

Generate generate(std::uint64_t id) {
  Generate g;
  g.id = id;
  g.request_id = "r" + std::to_string(id);
  g.address = "ucxl://p/a.go";
  return g;
}

// Cuts `old` off and ticks the others until one of them leads; returns it.
std::string elect_without(TestCluster& cluster, const std::string& old) {
  cluster.isolate(old);
  for (int i = 0; i < 200; ++i) {
    cluster.tick_all();
    for (const std::string& id : cluster.ids) {
      if (id != old && cluster.raft(id).role() == consensus::RaftRole::leader) {
        return id;
      }
    }
  }
  FAIL("no new leader without " << old);
  return "";
}

std::vector<std::uint64_t> ids(const std::vector<ClientRequest>& requests) {
  std::vector<std::uint64_t> out;
  for (const ClientRequest& r : requests) out.push_back(r.id);
  return out;
}

}  // namespace

TEST_CASE("held requests replay in order once a leader is elected",
          "[request_table]") {
  TestCluster cluster(3);
  RequestTable table;
  // n2 knows no leader yet: its clients' requests wait.
  REQUIRE_FALSE(cluster.raft("n2").leader());
  REQUIRE_FALSE(table.hold(request(1, generate(1))));
  ClientRequest later = request(2, generate(2));
  later.not_before_ms = 500;  // a forward that found no connection
  REQUIRE_FALSE(table.hold(std::move(later)));
  REQUIRE_FALSE(table.hold(request(3, Ping{3})));

  cluster.elect("n1");
  REQUIRE(cluster.raft("n2").leader() == std::optional<std::string>("n1"));
  // At 100 ms the first and third go; the second waits for its time.
  CHECK(ids(table.take_held_due(100)) == std::vector<std::uint64_t>{1, 3});
  CHECK(table.held_count() == 1);
  CHECK(ids(table.take_held_due(500)) == std::vector<std::uint64_t>{2});
  CHECK(table.held_count() == 0);
}

TEST_CASE("held requests are bounded and expire with no_quorum",
          "[request_table]") {
  RequestTable::Limits limits;
  limits.held_max = 2;
  limits.hold_ms = 1000;
  RequestTable table(limits);
  REQUIRE_FALSE(table.hold(request(1, generate(1), "c1", 0)));
  REQUIRE_FALSE(table.hold(request(2, generate(2), "c1", 600)));
  auto refused = table.hold(request(3, generate(3)));
  REQUIRE(refused);
  CHECK(refused->request.id == 3);
  CHECK(refused->error.code == ErrorCode::no_quorum);

  auto expired = table.expire(999, {});
  CHECK(expired.refused.empty());
  expired = table.expire(1000, {});
  REQUIRE(expired.refused.size() == 1);
  CHECK(expired.refused[0].request.id == 1);
  CHECK(expired.refused[0].error.code == ErrorCode::no_quorum);
  CHECK(table.held_count() == 1);
}

TEST_CASE("a forward to a leader that steps down is handed back",
          "[request_table]") {
  TestCluster cluster(3);
  cluster.elect("n1");
  RequestTable table;  // a follower's
  const std::string leader = *cluster.raft("n2").leader();
  REQUIRE(leader == "n1");
  REQUIRE_FALSE(table.forward_refusal(request(1, generate(1))));
  const std::uint64_t first = table.next_forward_id();
  CHECK(table.add_forwarded(request(1, generate(1)), leader, 10) == first);
  table.add_forwarded(request(2, generate(2)), leader, 10);
  REQUIRE(table.forwarded(first) != nullptr);

  // The leader is cut off and another wins the next election; the table
  // is told the leader n2 now knows.
  const std::string next = elect_without(cluster, "n1");
  const std::string observer = next == "n2" ? "n3" : "n2";
  const auto now_leader = cluster.raft(observer).leader();
  REQUIRE(now_leader == std::optional<std::string>(next));
  auto again = table.take_forwarded_elsewhere(now_leader);
  CHECK(ids(again) == std::vector<std::uint64_t>{1, 2});
  CHECK(table.forwarded_count() == 0);
  // Forwarded again to n3, they stay when the leader is still n3.
  for (ClientRequest& r : again) table.add_forwarded(std::move(r), next, 20);
  CHECK(table.take_forwarded_elsewhere(now_leader).empty());
  CHECK(table.forwarded_count() == 2);
  // No leader known: every forward comes back.
  CHECK(table.take_forwarded_elsewhere(std::nullopt).size() == 2);
}

TEST_CASE("forwards are bounded per connection, a list weighing more",
          "[request_table]") {
  RequestTable::Limits limits;
  limits.forwarded_per_connection_max = 10;
  limits.list_forward_weight = 8;
  RequestTable table(limits);
  table.add_forwarded(request(1, ListContexts{}, "c1"), "n1", 0);
  table.add_forwarded(request(2, generate(2), "c1"), "n1", 0);
  // 9 of 10 used by c1: one more generate fits, a list does not.
  CHECK_FALSE(table.forward_refusal(request(3, generate(3), "c1")));
  auto refusal = table.forward_refusal(request(4, ListContexts{}, "c1"));
  REQUIRE(refusal);
  CHECK(refusal->code == ErrorCode::unavailable);
  // Another connection is not charged for c1's.
  CHECK_FALSE(table.forward_refusal(request(5, ListContexts{}, "c2")));
  // A follower relaying its clients is not a client connection.
  ClientRequest relayed = request(6, ListContexts{}, "c1");
  relayed.route.node_peer = true;
  CHECK_FALSE(table.forward_refusal(relayed));
  // An answered list gives its weight back.
  REQUIRE(table.take_forwarded(1));
  CHECK_FALSE(table.forward_refusal(request(4, ListContexts{}, "c1")));
}

TEST_CASE(
    "forwards time out, are resent, or are forgotten with their "
    "connection",
    "[request_table]") {
  RequestTable::Limits limits;
  limits.timeout_ms = 10000;
  limits.forward_retry_ms = 2000;
  RequestTable table(limits);
  table.add_forwarded(request(1, generate(1), "c1", 0), "n1", 0);
  table.add_forwarded(request(2, generate(2), "gone", 0), "n1", 0);
  ClientRequest waiting = request(3, generate(3), "c1", 0);
  waiting.replied = true;  // generate_reply sent; waits for job_done
  table.add_forwarded(std::move(waiting), "n1", 0);
  auto dropped = [](const Bytes& c) {
    return std::string(c.begin(), c.end()) == "gone";
  };
  auto expired = table.expire(2000, dropped);
  CHECK(expired.refused.empty());
  CHECK(ids(expired.resend) == std::vector<std::uint64_t>{1});
  CHECK(table.forwarded_count() == 1);  // the waiting one
  table.add_forwarded(std::move(expired.resend[0]), "n1", 2000);
  expired = table.expire(10000, dropped);
  REQUIRE(expired.refused.size() == 1);
  CHECK(expired.refused[0].request.id == 1);
  CHECK(expired.refused[0].error.code == ErrorCode::timeout);
}

TEST_CASE("a proposal overwritten by the next leader is routed again",
          "[request_table]") {
  TestCluster cluster(3);
  cluster.elect("n1");
  RequestTable table;  // n1's
  // n1 proposes, but is cut off before the entry reaches anyone.
  cluster.isolate("n1");
  auto index = cluster.raft("n1").propose(1, consensus::test::bytes("a"));
  REQUIRE(index);
  table.proposed(*index, cluster.raft("n1").term(), request(1, generate(1)));
  // Another leads the next term and commits its own entries at that index.
  const std::string next = elect_without(cluster, "n1");
  for (int i = 0; i < 3; ++i) {
    REQUIRE(cluster.raft(next).propose(1, consensus::test::bytes("b")));
  }
  cluster.deliver_all();
  cluster.heal();
  cluster.tick_all(3);
  const auto& applied = cluster.node("n1").applied;
  auto at = std::find_if(applied.begin(), applied.end(),
                         [&](const LogEntry& e) { return e.index == *index; });
  REQUIRE(at != applied.end());
  auto taken = table.take_proposal(*at);
  REQUIRE(taken);
  CHECK(taken->request.id == 1);
  CHECK_FALSE(taken->ours);
  CHECK(table.proposed_count() == 0);

  // An entry applied in the term it was proposed in is ours.
  table.proposed(7, 3, request(2, generate(2)));
  LogEntry entry;
  entry.index = 7;
  entry.term = 3;
  auto mine = table.take_proposal(entry);
  REQUIRE(mine);
  CHECK(mine->ours);
}

TEST_CASE("a leader that steps down hands back proposals, reads and waiters",
          "[request_table]") {
  RequestTable table;
  table.proposed(5, 2, request(1, generate(1)));
  const std::uint64_t read = table.next_read_id();
  table.add_read(read, request(2, GetContext{}));
  table.read_confirmed({read, 5});
  REQUIRE(table.add_waiter(42, request(3, generate(3))));
  auto back = table.take_leader_requests();
  CHECK(ids(back) == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(table.proposed_count() == 0);
  CHECK(table.read_count() == 0);
  CHECK(table.waiter_count() == 0);
  // The confirmed read is forgotten with its leadership.
  CHECK(table.take_reads_due(100, 10).empty());
  CHECK(table.drained());
}

TEST_CASE("reads are served in order once applied, a few at a time",
          "[request_table]") {
  RequestTable::Limits limits;
  limits.reads_max = 3;
  RequestTable table(limits);
  for (std::uint64_t i = 1; i <= 3; ++i) {
    const std::uint64_t id = table.next_read_id();
    table.add_read(id, request(i, GetContext{}));
    table.read_confirmed({id, i * 10});
  }
  REQUIRE(table.read_refusal());
  CHECK(table.read_refusal()->code == ErrorCode::unavailable);
  CHECK(table.take_reads_due(5, 10).empty());
  CHECK(ids(table.take_reads_due(30, 1)) == std::vector<std::uint64_t>{1});
  CHECK(ids(table.take_reads_due(20, 10)) == std::vector<std::uint64_t>{2});
  CHECK_FALSE(table.read_refusal());
  // A read that timed out is skipped when its confirmation comes.
  auto expired = table.expire(limits.timeout_ms, {});
  CHECK(ids(std::vector<ClientRequest>{expired.refused[0].request}) ==
        std::vector<std::uint64_t>{3});
  CHECK(table.take_reads_due(30, 10).empty());
}

TEST_CASE("waiters are told when their job ends, and bounded",
          "[request_table]") {
  RequestTable::Limits limits;
  limits.waiters_max = 2;
  RequestTable table(limits);
  REQUIRE(table.add_waiter(7, request(1, generate(1))));
  REQUIRE(table.add_waiter(7, request(2, generate(2))));
  CHECK_FALSE(table.add_waiter(8, request(3, generate(3))));
  CHECK(table.take_waiters(8).empty());
  CHECK(ids(table.take_waiters(7)) == std::vector<std::uint64_t>{1, 2});
  CHECK(table.waiter_count() == 0);
}

TEST_CASE("shutdown: what is owed a first answer is handed back",
          "[request_table]") {
  RequestTable table;
  CHECK(table.drained());
  REQUIRE_FALSE(table.hold(request(1, generate(1))));
  ClientRequest replied = request(2, generate(2));
  replied.replied = true;
  table.add_forwarded(std::move(replied), "n1", 0);
  CHECK_FALSE(table.drained());
  REQUIRE(table.take_held_due(0).size() == 1);
  CHECK(table.drained());  // only a forward that was answered already
  table.add_forwarded(request(3, generate(3)), "n1", 0);
  table.proposed(4, 1, request(4, generate(4)));
  CHECK(ids(table.take_unanswered()) == std::vector<std::uint64_t>{3, 4});
  CHECK(table.forwarded_count() == 0);
}

}  // namespace slurp::node
