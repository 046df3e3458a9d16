// Config validation and restart from InitialState (§3.8).
#include <catch2/catch.hpp>

#include "tests/consensus/raft_test_util.h"
#include "tests/consensus/test_cluster.h"

namespace slurp::consensus::test {
namespace {

std::string invalid_field(const std::function<void(Config&)>& edit) {
  Config c = config_for("n1", 3);
  REQUIRE(c.validate().ok());
  edit(c);
  Status s = c.validate();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::bad_request);
  return s.error().field;
}

TEST_CASE("Config::validate names the offending field", "[raft][config]") {
  CHECK(invalid_field([](Config& c) { c.id = ""; }) == "id");
  CHECK(invalid_field([](Config& c) { c.id = "n9"; }) == "id");
  CHECK(invalid_field([](Config& c) { c.members.clear(); }) == "members");
  CHECK(invalid_field([](Config& c) { c.members.push_back("n2"); }) ==
        "members");
  CHECK(invalid_field([](Config& c) { c.members.push_back(""); }) == "members");
  CHECK(invalid_field([](Config& c) { c.heartbeat_ticks = 0; }) ==
        "heartbeat_ticks");
  CHECK(invalid_field([](Config& c) { c.election_ticks_min = 1; }) ==
        "election_ticks_min");
  CHECK(invalid_field([](Config& c) { c.election_ticks_max = 10; }) ==
        "election_ticks_max");
  CHECK(invalid_field([](Config& c) { c.append_entries_max = 0; }) ==
        "append_entries_max");
  CHECK(invalid_field([](Config& c) { c.append_entries_max = 1 << 20; }) ==
        "append_entries_max");
  CHECK(invalid_field([](Config& c) { c.append_bytes_max = 0; }) ==
        "append_bytes_max");
  CHECK(invalid_field([](Config& c) { c.inflight_appends_max = 0; }) ==
        "inflight_appends_max");
  CHECK(invalid_field([](Config& c) { c.uncommitted_entries_max = 0; }) ==
        "uncommitted_entries_max");
  CHECK(invalid_field([](Config& c) { c.snapshot_chunk_bytes_max = 0; }) ==
        "snapshot_chunk_bytes_max");
  CHECK(invalid_field([](Config& c) { c.snapshot_bytes_max = 0; }) ==
        "snapshot_bytes_max");
  CHECK(invalid_field([](Config& c) { c.pending_reads_max = 0; }) ==
        "pending_reads_max");
  auto bad = Raft::create(Config{}, {});
  CHECK_FALSE(bad.ok());
}

std::string initial_error(InitialState init) {
  auto r = Raft::create(config_for("n1", 3), std::move(init));
  REQUIRE_FALSE(r.ok());
  return r.error().field;
}

TEST_CASE("create rejects an inconsistent InitialState", "[raft][raft-3.8]") {
  InitialState gap;
  gap.hard_state.term = 1;
  gap.entries = {{1, 1, 1, {}}, {3, 1, 1, {}}};
  CHECK(initial_error(gap) == "initial.entries[1].index");

  InitialState beyond;
  beyond.hard_state = {1, "", 2};
  beyond.entries = {{1, 1, 1, {}}};
  CHECK(initial_error(beyond) == "initial.hard_state.commit");

  InitialState below;
  below.hard_state = {2, "", 3};
  below.snapshot = Snapshot{{5, 2}, {}};
  CHECK(initial_error(below) == "initial.hard_state.commit");

  InitialState not_after_snapshot;
  not_after_snapshot.hard_state = {2, "", 5};
  not_after_snapshot.snapshot = Snapshot{{5, 2}, {}};
  not_after_snapshot.entries = {{5, 2, 1, {}}};
  CHECK(initial_error(not_after_snapshot) == "initial.entries[0].index");

  InitialState future;
  future.hard_state = {1, "", 0};
  future.entries = {{1, 2, 1, {}}};
  CHECK(initial_error(future) == "initial.entries[0].term");

  InitialState stranger;
  stranger.hard_state = {1, "n9", 0};
  CHECK(initial_error(stranger) == "initial.hard_state.voted_for");
}

TEST_CASE("after a restart committed entries are applied again",
          "[raft][raft-3.8]") {
  TestCluster c(3);
  c.elect("n1");
  for (int i = 0; i < 3; ++i) REQUIRE(c.raft("n1").propose(1, bytes("x")).ok());
  c.deliver_all();
  c.tick_all(1);
  REQUIRE(c.raft("n2").commit_index() == 4);
  const HardState hs = c.node("n2").disk.hard_state;
  c.restart("n2");
  CHECK(c.raft("n2").term() == hs.term);
  CHECK(c.raft("n2").commit_index() == 4);
  CHECK(c.raft("n2").applied_index() == 0);  // no snapshot: from scratch
  c.process("n2");
  CHECK(c.raft("n2").applied_index() == 4);
  CHECK(c.applied_data("n2").size() == 3);

  // With a snapshot, application restarts after it.
  c.compact("n2", 2, bytes("state@2"));
  c.restart("n2");
  CHECK(c.raft("n2").applied_index() == 2);
  c.process("n2");
  CHECK(c.node("n2").applied.size() == 2);
  CHECK(c.node("n2").applied.front().index == 3);
  // And the node rejoins normally.
  REQUIRE(c.raft("n1").propose(1, bytes("y")).ok());
  c.tick_all(2);
  CHECK(c.raft("n2").commit_index() == 5);
}

TEST_CASE("a restarted node keeps its vote for the term", "[raft][raft-3.8]") {
  TestCluster c(3);
  c.raft("n3").step(Vote{1, "n1", 0, 0, false});
  c.process("n3");
  c.network.clear();
  c.restart("n3");
  c.raft("n3").step(Vote{1, "n2", 0, 0, false});
  c.process("n3");
  REQUIRE(c.network.size() == 1);
  const auto& reply = std::get<VoteReply>(c.network.front().envelope.message);
  CHECK_FALSE(reply.granted);
}

}  // namespace
}  // namespace slurp::consensus::test
