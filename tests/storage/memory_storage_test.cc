// MemoryStorage's fault injection: what crash() may and may not lose, torn
// tails, media damage, and that one seed replays a run exactly.

#include <random>

#include "storage_test_support.h"

namespace slurp::storage::testing {
namespace {

using consensus::HardState;
using consensus::InitialState;

InitialState load_ok(MemoryStorage& store, LoadStats* stats = nullptr) {
  auto state = store.load(stats);
  if (!state) FAIL(state.error().describe());
  return std::move(*state);
}

// A RandomSource that replays fixed values, for crashes whose outcome a
// test wants to spell out.
MemoryStorage::RandomSource values(std::vector<std::uint64_t> list) {
  auto at = std::make_shared<std::size_t>(0);
  return [list = std::move(list), at]() { return list[(*at)++ % list.size()]; };
}

TEST_CASE("memory: a crash loses only what was not synced",
          "[storage][memory]") {
  const std::uint64_t seed = test_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (int run = 0; run < 200; ++run) {
    CAPTURE(run);
    MemoryStorage store;
    load_ok(store);
    std::uint64_t written = 0;  // entries 1..written, each its own write()
    std::uint64_t synced = 0;
    std::uint64_t synced_commit = 0;  // hard state of the last synced write
    const int steps = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < steps; ++i) {
      REQUIRE(store.write(HardState{1, "", synced}, {entry(written + 1, 1)},
                          std::nullopt));
      ++written;
      if (rng() % 4 == 0) {
        REQUIRE(store.sync());
        synced_commit = synced;
        synced = written;
      }
    }
    const bool tear = rng() % 2 == 0;
    store.crash([&rng] { return rng(); }, tear);
    LoadStats stats;
    InitialState state = load_ok(store, &stats);
    CHECK(stats.torn_records_dropped <= 1);
    REQUIRE(state.entries.size() >= synced);  // never loses synced data
    REQUIRE(state.entries.size() <= written);
    for (const LogEntry& e : state.entries) CHECK(e == entry(e.index, 1));
    CHECK(state.hard_state.commit >= synced_commit);
  }
}

TEST_CASE("memory: crash() may keep a prefix of unsynced writes, or none",
          "[storage][memory]") {
  MemoryStorage store;
  load_ok(store);
  REQUIRE(store.write(HardState{1, "", 0}, entries(1, 2, 1), std::nullopt));
  REQUIRE(store.sync());
  for (std::uint64_t i = 3; i <= 6; ++i) {
    REQUIRE(store.write(HardState{1, "", i - 1}, {entry(i, 1)}, std::nullopt));
  }
  REQUIRE(store.pending_operations() == 4);

  SECTION("none kept") {
    store.crash(values({0}), false);
    CHECK(indexes(load_ok(store)) == range(1, 2));
  }
  SECTION("two of four kept, their hard state with them") {
    store.crash(values({2}), false);
    InitialState state = load_ok(store);
    CHECK(indexes(state) == range(1, 4));
    CHECK(state.hard_state.commit == 3);
  }
  SECTION("all kept") {
    store.crash(values({4}), false);
    CHECK(indexes(load_ok(store)) == range(1, 6));
  }
  CHECK(store.pending_operations() == 0);
}

TEST_CASE("memory: a torn write leaves a bad last record, dropped and counted",
          "[storage][memory]") {
  MemoryStorage store;
  load_ok(store);
  REQUIRE(store.write(HardState{1, "", 1}, entries(1, 3, 1), std::nullopt));
  REQUIRE(store.sync());
  REQUIRE(store.write(HardState{1, "", 3}, entries(4, 8, 1), std::nullopt));
  // Keep no operation whole; tear the next after 1 + (2 % 5) = 3 entries.
  store.crash(values({0, 2}), true);
  LoadStats stats;
  InitialState state = load_ok(store, &stats);
  CHECK(stats.torn_records_dropped == 1);
  CHECK(indexes(state) == range(1, 5));  // 4, 5 kept; 6 was torn
  CHECK(state.hard_state.commit == 1);   // the torn write's is lost

  LoadStats again;
  load_ok(store, &again);
  CHECK(again.torn_records_dropped == 0);
}

TEST_CASE("memory: a torn write that truncated keeps the truncation",
          "[storage][memory]") {
  MemoryStorage store;
  load_ok(store);
  REQUIRE(store.write(HardState{1, "", 2}, entries(1, 6, 1), std::nullopt));
  REQUIRE(store.sync());
  REQUIRE(store.write(HardState{2, "", 2}, entries(4, 7, 2), std::nullopt));
  store.crash(values({0, 1}), true);  // tear after 2 entries: 4', 5'(bad)
  LoadStats stats;
  InitialState state = load_ok(store, &stats);
  CHECK(stats.torn_records_dropped == 1);
  REQUIRE(indexes(state) == range(1, 4));
  CHECK(state.entries[3].term == 2);
}

TEST_CASE("memory: a snapshot is never torn", "[storage][memory]") {
  MemoryStorage store;
  load_ok(store);
  REQUIRE(store.write(HardState{1, "", 2}, entries(1, 6, 1), std::nullopt));
  REQUIRE(store.sync());
  REQUIRE(
      store.write(HardState{2, "", 20}, entries(21, 24, 2), snapshot(20, 2)));
  store.crash(values({0, 1}), true);
  LoadStats stats;
  InitialState state = load_ok(store, &stats);
  CHECK(stats.torn_records_dropped == 0);
  CHECK_FALSE(state.snapshot);
  CHECK(indexes(state) == range(1, 6));
}

TEST_CASE("memory: media damage in the middle is reported, not applied",
          "[storage][memory]") {
  MemoryStorage store;
  load_ok(store);
  REQUIRE(store.write(HardState{1, "", 1}, entries(1, 8, 1), std::nullopt));
  REQUIRE(store.sync());
  REQUIRE(store.corrupt_record_for_testing(3));
  auto state = store.load();
  REQUIRE_FALSE(state);
  CHECK(state.error().code == ErrorCode::internal);
  CHECK(state.error().reason == "log record 3 failed its checksum");
  CHECK(store.corrupt_record_for_testing(99).error().code ==
        ErrorCode::not_found);
}

TEST_CASE("memory: one seed replays a run exactly", "[storage][memory]") {
  auto run = [](std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    MemoryStorage store;
    std::vector<std::uint64_t> lengths;
    std::uint64_t next = 1;
    for (int round = 0; round < 50; ++round) {
      REQUIRE(store.load());
      auto state = store.load();
      next = state->entries.empty() ? 1 : state->entries.back().index + 1;
      for (int i = 0; i < 5; ++i) {
        const std::uint64_t count = 1 + rng() % 4;
        REQUIRE(store.write(std::nullopt, entries(next, next + count - 1, 1),
                            std::nullopt));
        next += count;
        if (rng() % 3 == 0) REQUIRE(store.sync());
      }
      store.crash([&rng] { return rng(); }, true);
      lengths.push_back(next);
    }
    auto state = store.load();
    REQUIRE(state);
    lengths.push_back(state->entries.size());
    lengths.push_back(store.counters().syncs);
    lengths.push_back(store.counters().bytes_written);
    return lengths;
  };
  CHECK(run(42) == run(42));
  CHECK(run(42) != run(43));
}

TEST_CASE("memory: counters", "[storage][memory]") {
  MemoryStorage store;
  REQUIRE(store.write(HardState{1, "", 0}, entries(1, 2, 1, 10), std::nullopt));
  REQUIRE(store.sync());
  REQUIRE(store.sync());  // nothing to flush: not counted
  REQUIRE(store.compact(1, snapshot(1, 1, 100)));
  REQUIRE(store.sync());
  CHECK(store.counters().syncs == 2);
  CHECK(store.counters().bytes_written == 2 * (24 + 10) + 100);
}

}  // namespace
}  // namespace slurp::storage::testing
