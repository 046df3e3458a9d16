// Log compaction and chunked snapshot install (§5).
#include <catch2/catch.hpp>

#include "protocol/crc32c.h"
#include "tests/consensus/raft_test_util.h"
#include "tests/consensus/test_cluster.h"

namespace slurp::consensus::test {
namespace {

void small_chunks(Config& c) {
  c.snapshot_chunk_bytes_max = 4;
}

// n3 misses entries 1..6, n1 compacts them; returns the snapshot data.
Bytes lag_and_compact(TestCluster& c) {
  c.elect("n1");
  c.isolate("n3");
  for (int i = 0; i < 5; ++i) REQUIRE(c.raft("n1").propose(1, bytes("e")).ok());
  c.deliver_all();
  c.tick("n1");
  c.tick("n2");
  c.deliver_all();
  REQUIRE(c.raft("n1").applied_index() == 6);
  Bytes data = bytes("SNAPSHOT-DATA-0123456789");  // 6 chunks of 4
  c.compact("n1", 6, data);
  REQUIRE(c.node("n1").disk.entries.empty());
  return data;
}

TEST_CASE("a lagging follower installs the snapshot in checksummed chunks",
          "[raft][raft-5]") {
  TestCluster c(3, small_chunks);
  Bytes data = lag_and_compact(c);
  c.heal();
  std::vector<SnapshotChunk> chunks;
  c.filter = [&](Sent& s) {
    if (const auto* ch = std::get_if<SnapshotChunk>(&s.envelope.message)) {
      chunks.push_back(*ch);
    }
    return true;
  };
  c.tick_all(5);
  CHECK(c.raft("n3").counters().snapshots_installed == 1);
  CHECK(c.raft("n1").counters().snapshots_sent == 1);
  REQUIRE(c.node("n3").restored);
  CHECK(c.node("n3").restored->data == data);
  CHECK(c.node("n3").restored->meta == SnapshotMeta{6, 1});
  CHECK(c.node("n3").disk.snapshot->data == data);
  REQUIRE(chunks.size() == 6);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    CHECK(chunks[i].offset == 4 * i);
    CHECK(chunks[i].data.size() == 4);
    CHECK(chunks[i].total_bytes == data.size());
    CHECK(chunks[i].chunk_crc32c == crc32c(chunks[i].data));
    CHECK(chunks[i].done == (i == 5));
  }
  // Appends resume after the snapshot.
  REQUIRE(c.raft("n1").propose(1, bytes("after")).ok());
  c.tick_all(3);
  CHECK(c.applied_data("n3") == std::vector<Bytes>{bytes("after")});
  CHECK(c.raft("n3").applied_index() == 7);
  CHECK_FALSE(c.raft("n1").progress().at("n3").sending_snapshot);
  // And it restarts from its snapshot plus log.
  c.restart("n3");
  c.process("n3");
  CHECK(c.raft("n3").applied_index() == 7);
  CHECK(c.node("n3").restored->data == data);
}

TEST_CASE("a corrupted chunk is rejected and sent again", "[raft][raft-5]") {
  TestCluster c(3, small_chunks);
  Bytes data = lag_and_compact(c);
  c.heal();
  bool corrupted = false;
  std::vector<std::uint64_t> asked;
  c.filter = [&](Sent& s) {
    if (auto* ch = std::get_if<SnapshotChunk>(&s.envelope.message)) {
      if (ch->offset == 8 && !corrupted) {
        ch->data[0] ^= 0xff;  // bit rot in flight
        corrupted = true;
      }
    }
    if (const auto* r = std::get_if<SnapshotReply>(&s.envelope.message)) {
      asked.push_back(r->next_offset);
    }
    return true;
  };
  const auto dropped = c.raft("n3").counters().messages_dropped;
  c.tick_all(10);
  CHECK(corrupted);
  CHECK(c.raft("n3").counters().messages_dropped > dropped);
  // The reply to the bad chunk asked for the same offset again.
  REQUIRE(asked.size() >= 3);
  CHECK(asked[1] == 8);
  CHECK(asked[2] == 8);
  REQUIRE(c.node("n3").restored);
  CHECK(c.node("n3").restored->data == data);
  CHECK(c.raft("n3").counters().snapshots_installed == 1);
}

TEST_CASE("chunks out of order or over the size limit are refused",
          "[raft][raft-5]") {
  auto raft =
      make_raft("n2", 3, {}, [](Config& c) { c.snapshot_bytes_max = 8; });
  Bytes part = bytes("abcd");
  const std::uint64_t crc = crc32c(part);
  // Too large a snapshot: dropped before anything is buffered.
  raft->step(SnapshotChunk{1, "n1", 5, 1, 0, 9, part, crc, false});
  CHECK(raft->counters().messages_dropped == 1);
  CHECK(messages_of<SnapshotReply>(drain(*raft)).empty());
  // Starting in the middle: the follower asks for offset 0.
  raft->step(SnapshotChunk{1, "n1", 5, 1, 4, 8, part, crc, true});
  auto replies = messages_of<SnapshotReply>(drain(*raft));
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].next_offset == 0);
  CHECK_FALSE(replies[0].done);
  // In order it completes.
  raft->step(SnapshotChunk{1, "n1", 5, 1, 0, 8, part, crc, false});
  raft->step(SnapshotChunk{1, "n1", 5, 1, 4, 8, part, crc, true});
  auto readies = drain(*raft);
  replies = messages_of<SnapshotReply>(readies);
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].next_offset == 4);
  CHECK(replies[1].done);
  bool installed = false;
  for (const Ready& r : readies) {
    if (r.snapshot) {
      installed = true;
      CHECK(r.snapshot->data == bytes("abcdabcd"));
      REQUIRE(r.hard_state);
      CHECK(r.hard_state->commit == 5);
    }
  }
  CHECK(installed);
  CHECK(raft->commit_index() == 5);
  CHECK(raft->last_index() == 5);
  CHECK(raft->applied_index() == 5);
}

TEST_CASE("compact refuses unapplied, repeated and oversized snapshots",
          "[raft][raft-5]") {
  TestCluster c(3, [](Config& cfg) { cfg.snapshot_bytes_max = 16; });
  c.elect("n1");
  c.tick_all(1);
  Raft& n1 = c.raft("n1");
  CHECK(n1.compact(5, {}).error().field == "index");
  CHECK(n1.compact(1, Bytes(17, 0)).error().code == ErrorCode::too_large);
  REQUIRE(n1.compact(1, {}).ok());
  CHECK(n1.compact(1, {}).error().code == ErrorCode::conflict);
}

}  // namespace
}  // namespace slurp::consensus::test

namespace slurp::consensus::test {
namespace {

// A follower whose data directory was wiped answers below what it had
// acknowledged: the leader starts it over (here with a snapshot) instead
// of probing it at its old match index forever.
TEST_CASE("a follower that lost its log is sent a snapshot", "[raft][raft-5]") {
  TestCluster c(3, small_chunks);
  c.elect("n1");
  for (int i = 0; i < 5; ++i) REQUIRE(c.raft("n1").propose(1, bytes("e")).ok());
  c.tick_all(3);
  REQUIRE(c.raft("n1").progress().at("n3").match_index == 6);
  Bytes data = bytes("SNAPSHOT-DATA-0123456789");
  c.compact("n1", 6, data);
  c.node("n3").disk = {};  // wiped
  c.restart("n3");
  c.tick_all(10);
  CHECK(c.raft("n1").counters().follower_logs_lost == 1);
  CHECK(c.raft("n3").counters().snapshots_installed == 1);
  REQUIRE(c.node("n3").restored);
  CHECK(c.node("n3").restored->data == data);
  REQUIRE(c.raft("n1").propose(1, bytes("after")).ok());
  c.tick_all(3);
  CHECK(c.raft("n3").commit_index() == 7);
}

}  // namespace
}  // namespace slurp::consensus::test

namespace slurp::consensus::test {
namespace {

TEST_CASE(
    "compaction keeps compact_keep_entries: a follower a little behind "
    "catches up by appends",
    "[raft][raft-5]") {
  TestCluster c(3, [](Config& config) { config.compact_keep_entries = 3; });
  c.elect("n1");
  c.isolate("n3");
  for (int i = 0; i < 5; ++i) REQUIRE(c.raft("n1").propose(1, bytes("e")).ok());
  c.deliver_all();
  c.tick("n1");
  c.tick("n2");
  c.deliver_all();
  REQUIRE(c.raft("n1").applied_index() == 6);
  c.compact("n1", 6, bytes("SNAP"));
  // Entries 4..6 are kept: n3 holds 1, so it still needs the snapshot;
  // n2 holds 6 already. Compacting at 6 again later keeps 4..6 too.
  CHECK(c.node("n1").disk.entries.empty());  // the disk drops them all
  c.heal();
  c.tick_all(5);
  CHECK(c.raft("n3").commit_index() == 6);
  CHECK(c.raft("n3").counters().snapshots_installed == 1);

  // n2 falls 2 entries behind, then n1 compacts past it: appends suffice.
  c.isolate("n2");
  for (int i = 0; i < 2; ++i) REQUIRE(c.raft("n1").propose(1, bytes("f")).ok());
  c.tick_all(3);
  REQUIRE(c.raft("n1").applied_index() == 8);
  c.compact("n1", 8, bytes("SNAP2"));
  c.heal();
  c.tick_all(5);
  CHECK(c.raft("n2").commit_index() == 8);
  CHECK(c.raft("n2").counters().snapshots_installed == 0);
}

}  // namespace
}  // namespace slurp::consensus::test
