// contexts.db: the store the node's state machine writes and its reader
// threads read (src/storage/sqlite_context_store.h, context_reader.h).
#include "src/storage/sqlite_context_store.h"

#include <catch2/catch.hpp>
#include <random>

#include "protocol/record_codec.h"
#include "src/state/commands.h"
#include "src/state/snapshot_format.h"
#include "src/state/snapshot_frames.h"
#include "src/storage/context_reader.h"
#include "src/storage/store_snapshot.h"
#include "tests/support/temp_dir.h"

namespace slurp::storage {
namespace {

using slurp::testing::TempDir;
using state::StoredContext;

StoredContext stored(const std::string& address, const std::string& summary,
                     std::uint64_t version = 1) {
  StoredContext s;
  s.context.address = address;
  s.context.summary = summary;
  s.context.version = version;
  s.owner = "alice";
  return s;
}

std::unique_ptr<SqliteContextStore> open_store(const std::string& dir) {
  auto store = SqliteContextStore::open(dir);
  REQUIRE(store);
  return std::move(*store);
}

std::unique_ptr<ContextReader> open_reader(const std::string& dir) {
  auto reader = ContextReader::open(dir);
  REQUIRE(reader);
  return std::move(*reader);
}

std::string summary_of(ContextReader& reader, const std::string& address) {
  auto got = reader.get(address);
  REQUIRE(got);
  return *got ? (*got)->context.summary : "<none>";
}

TEST_CASE("readers see commits, not what the writer has not committed",
          "[storage][contexts]") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto reader = open_reader(dir.path());
  store->begin_entry(1);
  store->put(stored("ucxl://p/a", "one"));
  CHECK(store->find("ucxl://p/a")->context.summary == "one");
  CHECK(summary_of(*reader, "ucxl://p/a") == "<none>");
  REQUIRE(store->commit(1).ok());
  CHECK(summary_of(*reader, "ucxl://p/a") == "one");
  CHECK(store->committed_index() == 1);

  store->begin_entry(2);
  store->put(stored("ucxl://p/a", "two", 2));
  CHECK(summary_of(*reader, "ucxl://p/a") == "one");
  REQUIRE(store->commit(2).ok());
  CHECK(summary_of(*reader, "ucxl://p/a") == "two");
  CHECK_FALSE(store->failure());
}

TEST_CASE(
    "find answers as of the entry being applied (a replay sees what "
    "the first run saw)",
    "[storage][contexts]") {
  TempDir dir;
  {
    auto store = open_store(dir.path());
    store->begin_entry(5);
    store->put(stored("ucxl://p/a", "five"));
    store->begin_entry(7);
    store->put(stored("ucxl://p/a", "seven-first", 2));
    CHECK(store->find("ucxl://p/a")->context.summary == "seven-first");
    store->put(stored("ucxl://p/a", "seven", 3));
    store->begin_entry(9);
    store->put(stored("ucxl://p/a", "nine", 4));
    REQUIRE(store->commit(9).ok());
  }
  // Reopened, as after a restart that replays from entry 6.
  auto store = open_store(dir.path());
  CHECK(store->committed_index() == 9);
  store->begin_entry(6);
  CHECK(store->find("ucxl://p/a")->context.summary == "five");
  store->begin_entry(7);
  CHECK(store->find("ucxl://p/a")->context.summary == "five");
  store->put(stored("ucxl://p/a", "seven-first", 2));
  CHECK(store->find("ucxl://p/a")->context.summary == "seven-first");
  store->put(stored("ucxl://p/a", "seven", 3));  // as the first run did
  store->begin_entry(8);
  CHECK(store->find("ucxl://p/a")->context.summary == "seven");
  store->begin_entry(5);
  CHECK_FALSE(store->find("ucxl://p/a"));
  // Readers and scans see the latest.
  auto reader = open_reader(dir.path());
  CHECK(summary_of(*reader, "ucxl://p/a") == "nine");
  std::vector<std::string> as_of_8;
  REQUIRE(reader
              ->page_as_of(8, "", 10,
                           [&](std::string address, Bytes record) {
                             auto s = decode_record<StoredContext>(record);
                             REQUIRE(s);
                             CHECK(address == "ucxl://p/a");
                             as_of_8.push_back(s->context.summary);
                           })
              .ok());
  CHECK(as_of_8 == std::vector<std::string>{"seven"});
}

TEST_CASE("what was not committed is gone after a reopen",
          "[storage][contexts]") {
  TempDir dir;
  {
    auto store = open_store(dir.path());
    store->begin_entry(1);
    store->put(stored("ucxl://p/a", "kept"));
    REQUIRE(store->commit(1).ok());
    store->begin_entry(2);
    store->put(stored("ucxl://p/b", "lost"));
  }
  auto store = open_store(dir.path());
  CHECK(store->committed_index() == 1);
  auto reader = open_reader(dir.path());
  CHECK(summary_of(*reader, "ucxl://p/a") == "kept");
  CHECK(summary_of(*reader, "ucxl://p/b") == "<none>");
}

TEST_CASE("scans page in address order from a prefix and a cursor",
          "[storage][contexts]") {
  TempDir dir;
  auto store = open_store(dir.path());
  store->begin_entry(1);
  for (const char* a : {"ucxl://p/src/b", "ucxl://p/src/a", "ucxl://p/docs/x",
                        "ucxl://q/src/a", "ucxl://p/src/c"}) {
    store->put(stored(a, a));
  }
  store->begin_entry(2);
  store->put(stored("ucxl://p/src/b", "b2", 2));
  REQUIRE(store->commit(2).ok());
  auto reader = open_reader(dir.path());
  std::vector<std::string> seen;
  auto collect = [&](StoredContext&& s) {
    seen.push_back(s.context.summary);
    return true;
  };
  REQUIRE(reader->scan("ucxl://p/src/", "", collect).ok());
  CHECK(seen ==
        std::vector<std::string>{"ucxl://p/src/a", "b2", "ucxl://p/src/c"});
  seen.clear();
  REQUIRE(reader->scan("ucxl://p/src/", "ucxl://p/src/a", collect).ok());
  CHECK(seen == std::vector<std::string>{"b2", "ucxl://p/src/c"});
  seen.clear();
  REQUIRE(reader
              ->scan("", "",
                     [&](StoredContext&& s) {
                       seen.push_back(s.context.address);
                       return seen.size() < 2;
                     })
              .ok());
  CHECK(seen == std::vector<std::string>{"ucxl://p/docs/x", "ucxl://p/src/a"});
  // The store's own scan agrees.
  std::vector<std::string> own;
  store->scan("ucxl://p/src/", "", [&](const StoredContext& s) {
    own.push_back(s.context.summary);
    return true;
  });
  CHECK(own ==
        std::vector<std::string>{"ucxl://p/src/a", "b2", "ucxl://p/src/c"});
}

// The property the node relies on: a state machine over contexts.db, cut
// off at any point and restarted from an older snapshot's core plus the
// log after it, ends where a state machine in memory that applied the
// same log ends.
TEST_CASE(
    "restart from an older snapshot and a replay equals a state "
    "machine in memory",
    "[storage][contexts][state]") {
  std::mt19937_64 rng(Catch::rngSeed() != 0 ? Catch::rngSeed() : 7);
  std::vector<LogEntry> log;
  for (std::uint64_t i = 1; i <= 60; ++i) {
    state::UpdateContextCommand update;
    update.context.address =
        "ucxl://p/f" + std::to_string(rng() % 8);  // rewrites
    update.context.summary = "v" + std::to_string(i);
    update.requester = rng() % 2 ? "alice" : "bob";
    update.time_ms = 1000 + i;
    update.requester_role = "admin";
    log.push_back(LogEntry{
        i, 1, static_cast<std::uint64_t>(state::CommandKind::update_context),
        encode_record(update)});
  }
  state::StateMachine memory;
  for (const LogEntry& e : log) memory.apply(e);

  for (std::uint64_t snapshot_at :
       {std::uint64_t{0}, std::uint64_t{10}, std::uint64_t{33}}) {
    for (std::uint64_t crash_at :
         {snapshot_at, snapshot_at + 7, std::uint64_t{45}, std::uint64_t{60}}) {
      if (crash_at < snapshot_at) continue;
      CAPTURE(snapshot_at, crash_at);
      TempDir dir;
      Bytes core;
      {
        state::StateMachine node({}, open_store(dir.path()));
        for (const LogEntry& e : log) {
          if (e.index > crash_at) break;
          node.apply(e);
          if (e.index == snapshot_at) core = node.core_snapshot();
          auto& store = static_cast<SqliteContextStore&>(node.context_store());
          REQUIRE(store.commit(e.index).ok());
        }
        if (snapshot_at == 0) core = state::StateMachine().core_snapshot();
      }
      Bytes framed;
      state::append_frame(framed, core);
      state::StateMachine restarted({}, open_store(dir.path()));
      REQUIRE(restarted.restore_core(framed).ok());
      for (const LogEntry& e : log) {
        if (e.index > snapshot_at) restarted.apply(e);
      }
      CHECK(restarted == memory);
      CHECK(restarted.snapshot() == memory.snapshot());
    }
  }
}

}  // namespace
}  // namespace slurp::storage

namespace slurp::storage {
namespace {

// A StoreSnapshot at index S reads, chunk by chunk and in any order, the
// very bytes StateMachine::snapshot() gave at S, even after later entries
// rewrote its contexts.
TEST_CASE(
    "a snapshot read from contexts.db equals the state's snapshot at "
    "its index",
    "[storage][contexts][snapshot]") {
  std::mt19937_64 rng(Catch::rngSeed() != 0 ? Catch::rngSeed() : 11);
  auto update = [&](std::uint64_t i) {
    state::UpdateContextCommand u;
    u.context.address = "ucxl://p/f" + std::to_string(rng() % 300);
    u.context.summary = std::string(rng() % 3000, 'x') + std::to_string(i);
    u.requester = "alice";
    u.time_ms = i;
    u.requester_role = "admin";
    return LogEntry{
        i, 1, static_cast<std::uint64_t>(state::CommandKind::update_context),
        encode_record(u)};
  };
  TempDir dir;
  state::StateMachine memory;
  state::StateMachine node({}, open_store(dir.path()));
  auto& store = static_cast<SqliteContextStore&>(node.context_store());
  const std::uint64_t at = 500;
  for (std::uint64_t i = 1; i <= at; ++i) {
    const LogEntry e = update(i);
    memory.apply(e);
    node.apply(e);
  }
  REQUIRE(store.commit(at).ok());
  const Bytes expected = memory.snapshot();
  Bytes core;
  state::append_frame(core, node.core_snapshot());
  consensus::SnapshotData data = store_snapshot_data(
      core, dir.path(), at, node.context_count(), node.context_bytes());
  // Later entries rewrite many of the same addresses.
  for (std::uint64_t i = at + 1; i <= at + 300; ++i) node.apply(update(i));
  REQUIRE(store.commit(at + 300).ok());

  REQUIRE(data.size() == expected.size());
  Bytes sequential;
  for (std::uint64_t off = 0; off < data.size();) {
    const std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>(1 + rng() % 70000, data.size() - off));
    auto chunk = data.read(off, n);
    REQUIRE(chunk);
    sequential.insert(sequential.end(), chunk->begin(), chunk->end());
    off += n;
  }
  CHECK(sequential == expected);
  for (int i = 0; i < 50; ++i) {
    const std::uint64_t off = rng() % data.size();
    const std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>(1 + rng() % 50000, data.size() - off));
    auto chunk = data.read(off, n);
    REQUIRE(chunk);
    CHECK(std::equal(chunk->begin(), chunk->end(),
                     expected.begin() + static_cast<std::ptrdiff_t>(off)));
  }
  // And it restores.
  state::StateMachine restored;
  auto all = data.read_all();
  REQUIRE(all);
  REQUIRE(restored.restore(*all).ok());
  CHECK(restored == memory);
}

}  // namespace
}  // namespace slurp::storage
