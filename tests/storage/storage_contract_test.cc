// The RaftStorage contract (src/storage/raft_storage.h), checked once
// against every implementation. Each TEMPLATE_TEST_CASE quotes the
// contract sentence it checks.

#include "storage_test_support.h"

namespace slurp::storage::testing {
namespace {

using consensus::HardState;
using consensus::InitialState;

template <class H>
InitialState load_ok(H& h, LoadStats* stats = nullptr) {
  auto state = h.get().load(stats);
  if (!state) FAIL(state.error().describe());
  return std::move(*state);
}

template <class H>
void write_ok(H& h, const std::optional<HardState>& hard_state,
              const std::vector<LogEntry>& log,
              const std::optional<consensus::Snapshot>& snap = std::nullopt) {
  auto s = h.get().write(hard_state, log, snap);
  if (!s) FAIL(s.error().describe());
}

template <class H>
void sync_ok(H& h) {
  auto s = h.get().sync();
  if (!s) FAIL(s.error().describe());
}

#define STORES SqliteHarness, MemoryHarness

TEMPLATE_TEST_CASE("a new store loads an empty state", "[storage]", STORES) {
  TestType h;
  InitialState state = load_ok(h);
  CHECK(state.hard_state == HardState{});
  CHECK_FALSE(state.snapshot);
  CHECK(state.entries.empty());
}

TEMPLATE_TEST_CASE("hard state and entries survive a reopen", "[storage]",
                   STORES) {
  TestType h;
  load_ok(h);
  const HardState hs{7, "node-b", 3};
  write_ok(h, hs, entries(1, 5, 7));
  sync_ok(h);
  h.reopen();
  InitialState state = load_ok(h);
  CHECK(state.hard_state == hs);
  CHECK(state.entries == entries(1, 5, 7));

  SECTION("and a second load gives the same state") {
    InitialState again = load_ok(h);
    CHECK(again.hard_state == hs);
    CHECK(again.entries == state.entries);
  }
}

TEMPLATE_TEST_CASE("entry fields round trip bit for bit", "[storage]", STORES) {
  TestType h;
  load_ok(h);
  const std::uint64_t big = ~std::uint64_t{0};
  std::vector<LogEntry> log = {
      LogEntry{1, big, big, {}},  // empty data: a blob, not NULL
      LogEntry{2, big, 0, payload(2, 100000)},
  };
  write_ok(h, HardState{big, "", 1}, log);
  sync_ok(h);
  h.reopen();
  InitialState state = load_ok(h);
  CHECK(state.entries == log);
  CHECK(state.hard_state.term == big);
}

TEMPLATE_TEST_CASE(
    "write() buffers; nothing is durable until sync() returns ok", "[storage]",
    STORES) {
  TestType h;
  load_ok(h);
  write_ok(h, HardState{1, "a", 0}, entries(1, 3, 1));
  sync_ok(h);
  write_ok(h, HardState{2, "b", 3}, entries(4, 6, 2));
  h.reopen();  // a clean stop: the second write was never synced
  InitialState state = load_ok(h);
  CHECK(state.hard_state == HardState{1, "a", 0});
  CHECK(indexes(state) == range(1, 3));
}

TEMPLATE_TEST_CASE("one sync() covers every write() since the last",
                   "[storage]", STORES) {
  TestType h;
  load_ok(h);
  for (std::uint64_t i = 1; i <= 10; ++i) {
    write_ok(h, HardState{1, "", i - 1}, {entry(i, 1)});
  }
  sync_ok(h);
  h.reopen();
  InitialState state = load_ok(h);
  CHECK(indexes(state) == range(1, 10));
  CHECK(state.hard_state.commit == 9);
}

TEMPLATE_TEST_CASE(
    "entries at or below the last stored index truncate the log first",
    "[storage]", STORES) {
  TestType h;
  load_ok(h);
  write_ok(h, HardState{1, "", 0}, entries(1, 5, 1));
  sync_ok(h);

  SECTION("a conflicting suffix replaces the old one") {
    write_ok(h, HardState{2, "", 2}, entries(3, 4, 2));
    sync_ok(h);
    h.reopen();
    InitialState state = load_ok(h);
    std::vector<LogEntry> expected = entries(1, 2, 1);
    for (const LogEntry& e : entries(3, 4, 2)) expected.push_back(e);
    CHECK(state.entries == expected);
  }
  SECTION("truncation and append in one unsynced batch") {
    write_ok(h, std::nullopt, entries(6, 8, 1));
    write_ok(h, HardState{2, "", 0}, entries(2, 3, 2));
    sync_ok(h);
    h.reopen();
    InitialState state = load_ok(h);
    CHECK(indexes(state) == range(1, 3));
    CHECK(state.entries[1].term == 2);
  }
}

TEMPLATE_TEST_CASE("a bad write() is refused and changes nothing", "[storage]",
                   STORES) {
  TestType h;
  load_ok(h);
  write_ok(h, std::nullopt, entries(1, 3, 1));  // unsynced, must survive

  SECTION("a gap after the last index") {
    CHECK_FALSE(
        h.get().write(HardState{9, "", 0}, entries(5, 6, 1), std::nullopt));
  }
  SECTION("entries not consecutive") {
    CHECK_FALSE(h.get().write(HardState{9, "", 0}, {entry(4, 1), entry(6, 1)},
                              std::nullopt));
  }
  sync_ok(h);
  h.reopen();
  InitialState state = load_ok(h);
  CHECK(indexes(state) == range(1, 3));
  CHECK(state.hard_state == HardState{});
}

TEMPLATE_TEST_CASE("a snapshot replaces the log up to its last_index",
                   "[storage]", STORES) {
  TestType h;
  load_ok(h);
  write_ok(h, HardState{2, "", 4}, entries(1, 8, 2));
  sync_ok(h);

  SECTION("the log matches at last_index: later entries stay") {
    write_ok(h, HardState{2, "", 6}, {}, snapshot(6, 2));
    sync_ok(h);
    h.reopen();
    InitialState state = load_ok(h);
    REQUIRE(state.snapshot);
    CHECK(state.snapshot->meta == consensus::SnapshotMeta{6, 2});
    CHECK(state.snapshot->data == snapshot(6, 2).data);
    CHECK(indexes(state) == range(7, 8));
  }
  SECTION("the log disagrees at last_index: the whole log goes") {
    write_ok(h, HardState{3, "", 6}, {}, snapshot(6, 3));
    sync_ok(h);
    h.reopen();
    InitialState state = load_ok(h);
    REQUIRE(state.snapshot);
    CHECK(state.entries.empty());
  }
  SECTION("beyond the log, with the entries that follow it") {
    write_ok(h, HardState{3, "", 20}, entries(21, 22, 3), snapshot(20, 3));
    sync_ok(h);
    h.reopen();
    InitialState state = load_ok(h);
    REQUIRE(state.snapshot);
    CHECK(state.snapshot->meta.last_index == 20);
    CHECK(indexes(state) == range(21, 22));
  }
  SECTION("entries a snapshot covers are refused") {
    write_ok(h, std::nullopt, {}, snapshot(6, 2));
    CHECK_FALSE(h.get().write(std::nullopt, entries(5, 9, 2), std::nullopt));
  }
  SECTION("an older snapshot than the stored one is refused") {
    write_ok(h, std::nullopt, {}, snapshot(6, 2));
    CHECK_FALSE(h.get().write(std::nullopt, {}, snapshot(5, 2)));
  }
  SECTION("unsynced, it is lost with the rest") {
    write_ok(h, std::nullopt, {}, snapshot(6, 2));
    h.reopen();
    InitialState state = load_ok(h);
    CHECK_FALSE(state.snapshot);
    CHECK(indexes(state) == range(1, 8));
  }
}

TEMPLATE_TEST_CASE("compact() drops entries up to the snapshot at next sync",
                   "[storage]", STORES) {
  TestType h;
  load_ok(h);
  write_ok(h, HardState{1, "", 10}, entries(1, 10, 1));
  sync_ok(h);
  REQUIRE(h.get().compact(6, snapshot(6, 1)));
  sync_ok(h);
  h.reopen();
  InitialState state = load_ok(h);
  REQUIRE(state.snapshot);
  CHECK(state.snapshot->meta == consensus::SnapshotMeta{6, 1});
  CHECK(indexes(state) == range(7, 10));

  SECTION("and again, further on, then appends continue") {
    REQUIRE(h.get().compact(9, snapshot(9, 1)));
    write_ok(h, std::nullopt, entries(11, 12, 1));
    sync_ok(h);
    h.reopen();
    InitialState later = load_ok(h);
    REQUIRE(later.snapshot);
    CHECK(later.snapshot->meta.last_index == 9);
    CHECK(later.snapshot->data == snapshot(9, 1).data);
    CHECK(indexes(later) == range(10, 12));
  }
  SECTION("the same snapshot again is a no-op") {
    CHECK(h.get().compact(6, snapshot(6, 1)));
  }
  SECTION("nonsense is refused") {
    CHECK_FALSE(h.get().compact(5, snapshot(5, 1)));  // older
    CHECK_FALSE(h.get().compact(8, snapshot(7, 1)));  // index != last_index
    CHECK_FALSE(h.get().compact(8, snapshot(8, 2)));  // term disagrees
  }
}

TEMPLATE_TEST_CASE("load() refuses to run over unsynced writes", "[storage]",
                   STORES) {
  TestType h;
  load_ok(h);
  write_ok(h, std::nullopt, entries(1, 2, 1));
  auto state = h.get().load();
  REQUIRE_FALSE(state);
  CHECK(state.error().code == ErrorCode::internal);
}

TEMPLATE_TEST_CASE(
    "a torn tail is truncated and counted: it was never acknowledged",
    "[storage]", STORES) {
  TestType h;
  load_ok(h);
  write_ok(h, HardState{1, "", 3}, entries(1, 6, 1));
  sync_ok(h);
  h.corrupt(6);
  LoadStats stats;
  InitialState state = load_ok(h, &stats);
  CHECK(stats.torn_records_dropped == 1);
  CHECK(indexes(state) == range(1, 5));

  h.reopen();  // the drop itself was durable
  LoadStats again;
  CHECK(indexes(load_ok(h, &again)) == range(1, 5));
  CHECK(again.torn_records_dropped == 0);
}

TEMPLATE_TEST_CASE(
    "a bad record with good records after it is corruption: load() names "
    "its index and applies nothing",
    "[storage]", STORES) {
  TestType h;
  load_ok(h);
  write_ok(h, HardState{1, "", 3}, entries(1, 6, 1));
  sync_ok(h);

  SECTION("in the middle") {
    h.corrupt(4);
    auto state = h.get().load();
    REQUIRE_FALSE(state);
    CHECK(state.error().code == ErrorCode::internal);
    CHECK(state.error().reason == "log record 4 failed its checksum");
    h.corrupt(4);  // undo: if load() had dropped anything, it would show
    CHECK(indexes(load_ok(h)) == range(1, 6));
  }
  SECTION("the last record, when commit covers it, was durable") {
    write_ok(h, HardState{1, "", 6}, {});
    sync_ok(h);
    h.corrupt(6);
    auto state = h.get().load();
    REQUIRE_FALSE(state);
    CHECK_THAT(state.error().reason,
               Catch::StartsWith("log record 6 failed its checksum"));
  }
  SECTION("two bad records at the end: only one write can be torn") {
    h.corrupt(5);
    h.corrupt(6);
    auto state = h.get().load();
    REQUIRE_FALSE(state);
    CHECK(state.error().reason == "log record 5 failed its checksum");
  }
}

}  // namespace
}  // namespace slurp::storage::testing
