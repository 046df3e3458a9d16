// SqliteStorage beyond the shared contract: what is on disk, damaged
// media, tampered snapshot files, and a WAL cut mid-frame.

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "protocol/crc32c.h"
#include "storage_test_support.h"

namespace slurp::storage::testing {
namespace {

namespace fs = std::filesystem;
using consensus::HardState;
using consensus::InitialState;

std::unique_ptr<SqliteStorage> open_ok(const std::string& dir) {
  auto store = SqliteStorage::open(dir);
  if (!store) FAIL(store.error().describe());
  return std::move(*store);
}

InitialState load_ok(SqliteStorage& store, LoadStats* stats = nullptr) {
  auto state = store.load(stats);
  if (!state) FAIL(state.error().describe());
  return std::move(*state);
}

void flip_byte(const std::string& path, std::uint64_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(file);
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  REQUIRE(file.get(byte));
  file.seekp(static_cast<std::streamoff>(offset));
  file.put(static_cast<char>(byte ^ 0x40));
  REQUIRE(file.flush());
}

std::uint64_t file_size(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// A store with entries 1..10 (term 1) and a snapshot at 6, closed cleanly.
void prepare_compacted(const std::string& dir) {
  auto store = open_ok(dir);
  load_ok(*store);
  REQUIRE(store->write(HardState{1, "", 8}, entries(1, 10, 1), std::nullopt));
  REQUIRE(store->compact(6, snapshot(6, 1, 500)));
  REQUIRE(store->sync());
}

TEST_CASE("sqlite: the database is in WAL mode and inspectable",
          "[storage][sqlite]") {
  TempDir dir;
  {
    auto store = open_ok(dir.path());
    load_ok(*store);
    REQUIRE(
        store->write(HardState{3, "n1", 1}, entries(1, 2, 3), std::nullopt));
    REQUIRE(store->sync());
    CHECK(store->counters().syncs == 1);
    CHECK(store->counters().bytes_written == 2 * (24 + 16));
  }
  auto scalar = [&](const char* sql) { return sql_scalar(dir.path(), sql); };
  CHECK(scalar("PRAGMA journal_mode") == "wal");
  CHECK(scalar("SELECT count(*) FROM log") == "2");
  CHECK(scalar("SELECT voted_for FROM hard_state") == "n1");
  CHECK(scalar("PRAGMA user_version") == "1");
}

TEST_CASE(
    "sqlite: a snapshot written elsewhere is adopted, and the rows it "
    "covers are trimmed in bounded steps, across a restart too",
    "[storage][sqlite]") {
  TempDir dir;
  const consensus::Snapshot snap = snapshot(7, 1, 300);
  {
    auto store = open_ok(dir.path());
    load_ok(*store);
    REQUIRE(store->write(HardState{1, "", 9}, entries(1, 10, 1), std::nullopt));
    REQUIRE(store->sync());
    // What the node's forked child does: the file only, no database.
    REQUIRE(SqliteStorage::write_snapshot_file(dir.path(), snap));
    CHECK(fs::exists(SqliteStorage::snapshot_file_path(dir.path(), 7)));
    REQUIRE(store->compact_written(snap.meta, snap.data.size(),
                                   crc32c(*snap.data.bytes())));
    REQUIRE(store->sync());
  }
  auto scalar = [&](const char* sql) { return sql_scalar(dir.path(), sql); };
  // Recorded, but nothing deleted yet: the rows wait for trimming.
  CHECK(scalar("SELECT last_index FROM snapshot_meta") == "7");
  CHECK(scalar("SELECT count(*) FROM log") == "10");
  {
    // A restart before the trim: the covered rows are not part of the log.
    auto store = open_ok(dir.path());
    InitialState state = load_ok(*store);
    REQUIRE(state.snapshot);
    CHECK(state.snapshot->meta == snap.meta);
    CHECK(state.snapshot->data == snap.data);
    REQUIRE(state.entries.size() == 3);
    CHECK(state.entries.front().index == 8);
    CHECK(state.entries.back().index == 10);
    // Three rows a step: 1-3, 4-6, then 7, and then nothing is left.
    auto step = [&] {
      auto more = store->trim_compacted(3);
      REQUIRE(more);
      REQUIRE(store->sync());
      return *more;
    };
    CHECK(step());
    CHECK(scalar("SELECT min(idx) FROM log") == "4");
    CHECK(step());
    CHECK(scalar("SELECT min(idx) FROM log") == "7");
    CHECK_FALSE(step());
    CHECK(scalar("SELECT min(idx) FROM log") == "8");
    CHECK_FALSE(step());
    CHECK(scalar("SELECT count(*) FROM log") == "3");
    // Appending after the trimmed log works as before.
    REQUIRE(store->write(std::nullopt, entries(11, 12, 1), std::nullopt));
    REQUIRE(store->sync());
  }
  auto store = open_ok(dir.path());
  InitialState state = load_ok(*store);
  REQUIRE(state.entries.size() == 5);
  CHECK(state.entries.front().index == 8);
  CHECK(state.entries.back().index == 12);
}

TEST_CASE(
    "sqlite: compact_written refuses a snapshot older than the stored "
    "one",
    "[storage][sqlite]") {
  TempDir dir;
  prepare_compacted(dir.path());
  auto store = open_ok(dir.path());
  load_ok(*store);
  const consensus::Snapshot old = snapshot(4, 1, 100);
  auto s = store->compact_written(old.meta, old.data.size(),
                                  crc32c(*old.data.bytes()));
  REQUIRE_FALSE(s);
  CHECK(s.error().reason.find("older than the stored one") !=
        std::string::npos);
}

TEST_CASE("sqlite: one process per directory", "[storage][sqlite]") {
  TempDir dir;
  auto first = open_ok(dir.path());
  auto second = SqliteStorage::open(dir.path());
  REQUIRE_FALSE(second);
  CHECK(second.error().code == ErrorCode::unavailable);
  first.reset();
  CHECK(SqliteStorage::open(dir.path()));
}

TEST_CASE("sqlite: open reports an unusable directory", "[storage][sqlite]") {
  TempDir dir;
  const std::string file = dir.str() + "/plain-file";
  std::ofstream(file) << "x";
  auto store = SqliteStorage::open(file + "/data");
  REQUIRE_FALSE(store);
  CHECK(store.error().code == ErrorCode::internal);
  CHECK_THAT(store.error().reason, Catch::Contains(file));
}

TEST_CASE("sqlite: a flipped byte in a record's data is reported by index",
          "[storage][sqlite]") {
  TempDir dir;
  {
    auto store = open_ok(dir.path());
    load_ok(*store);
    REQUIRE(store->write(HardState{1, "", 2}, entries(1, 10, 1), std::nullopt));
    REQUIRE(store->sync());
  }
  // substr() of a blob yields a blob; byte 3 of record 5 changes.
  run_sql(dir.path(),
          "UPDATE log SET data = substr(data, 1, 2) || x'ff' || "
          "substr(data, 4) WHERE idx = 5");
  auto store = open_ok(dir.path());
  auto state = store->load();
  REQUIRE_FALSE(state);
  CHECK(state.error().code == ErrorCode::internal);
  CHECK(state.error().reason == "log record 5 failed its checksum");
  // Nothing applied: every row is still there.
  store.reset();
  CHECK(sql_scalar(dir.path(), "SELECT count(*) FROM log") == "10");
}

TEST_CASE("sqlite: a rewritten index is checked too", "[storage][sqlite]") {
  TempDir dir;
  {
    auto store = open_ok(dir.path());
    load_ok(*store);
    REQUIRE(store->write(HardState{1, "", 2}, entries(1, 10, 1), std::nullopt));
    REQUIRE(store->sync());
  }
  // A record moved to another index keeps a crc that no longer matches.
  run_sql(dir.path(), "UPDATE log SET term = 2 WHERE idx = 7");
  auto store = open_ok(dir.path());
  auto state = store->load();
  REQUIRE_FALSE(state);
  CHECK(state.error().reason == "log record 7 failed its checksum");
}

TEST_CASE("sqlite: a tampered snapshot file fails load()",
          "[storage][sqlite]") {
  TempDir dir;
  prepare_compacted(dir.path());
  const std::string file = dir.str() + "/snapshot-6.bin";
  REQUIRE(fs::exists(file));

  std::string expected;
  SECTION("a flipped byte") {
    flip_byte(file, 100);
    expected = "snapshot file snapshot-6.bin failed its checksum";
  }
  SECTION("cut short") {
    fs::resize_file(file, 499);
    expected = "snapshot file snapshot-6.bin has 499 bytes, expected 500";
  }
  SECTION("missing") {
    fs::remove(file);
    expected = "open " + file + ": No such file or directory";
  }
  SECTION("snapshot_meta pointing elsewhere") {
    run_sql(dir.path(), "UPDATE snapshot_meta SET file = '../../etc/passwd'");
    expected =
        "snapshot_meta names file \"../../etc/passwd\", expected "
        "snapshot-6.bin";
  }
  auto store = open_ok(dir.path());
  auto state = store->load();
  REQUIRE_FALSE(state);
  CHECK(state.error().code == ErrorCode::internal);
  CHECK(state.error().reason == expected);
}

TEST_CASE("sqlite: snapshot files other than the current one are removed",
          "[storage][sqlite]") {
  TempDir dir;
  prepare_compacted(dir.path());
  auto names = [&] {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir.path())) {
      const std::string name = e.path().filename().string();
      if (name.starts_with("snapshot-")) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(names() == std::vector<std::string>{"snapshot-6.bin"});

  SECTION("strays left by a crash go at load()") {
    std::ofstream(dir.str() + "/snapshot-9.tmp") << "half";
    std::ofstream(dir.str() + "/snapshot-9.bin") << "never committed";
    auto store = open_ok(dir.path());
    InitialState state = load_ok(*store);
    REQUIRE(state.snapshot);
    CHECK(state.snapshot->meta.last_index == 6);
    CHECK(names() == std::vector<std::string>{"snapshot-6.bin"});
  }
  SECTION("the replaced one goes after the commit, not before") {
    auto store = open_ok(dir.path());
    load_ok(*store);
    REQUIRE(store->compact(8, snapshot(8, 1)));
    CHECK(names() ==
          std::vector<std::string>{"snapshot-6.bin", "snapshot-8.bin"});
    REQUIRE(store->sync());
    CHECK(names() == std::vector<std::string>{"snapshot-8.bin"});
  }
  SECTION("an unsynced snapshot is lost and its file removed") {
    {
      auto store = open_ok(dir.path());
      load_ok(*store);
      REQUIRE(store->compact(8, snapshot(8, 1)));
    }
    auto store = open_ok(dir.path());
    InitialState state = load_ok(*store);
    REQUIRE(state.snapshot);
    CHECK(state.snapshot->meta.last_index == 6);
    CHECK(indexes(state) == range(7, 10));
    CHECK(names() == std::vector<std::string>{"snapshot-6.bin"});
  }
}

// Copies what a crash right now would leave on disk: the database and its
// WAL (SQLite rebuilds the -shm index from the WAL) and the snapshot files.
void copy_crash_image(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const char* name : {"raft.db", "raft.db-wal"}) {
    fs::copy_file(from + "/" + name, to + "/" + name,
                  fs::copy_options::overwrite_existing);
  }
}

TEST_CASE(
    "sqlite: a WAL cut at any byte recovers exactly the commits whose frames "
    "all survive",
    "[storage][sqlite]") {
  TempDir dir;
  const std::string pristine = dir.str() + "/pristine";
  const std::string live = dir.str() + "/live";
  const std::string wal = "/raft.db-wal";
  const std::uint64_t commits = 20;
  // wal_end[i]: WAL size once commit i (entries 1..i) returned; [0] = schema.
  std::vector<std::uint64_t> wal_end;
  {
    auto store = open_ok(live);
    load_ok(*store);
    wal_end.push_back(file_size(live + wal));
    for (std::uint64_t i = 1; i <= commits; ++i) {
      REQUIRE(store->write(HardState{1, "", i - 1}, {entry(i, 1, 300)},
                           std::nullopt));
      REQUIRE(store->sync());
      wal_end.push_back(file_size(live + wal));
      // Growing means no checkpoint moved frames into raft.db meanwhile.
      REQUIRE(wal_end.back() > wal_end[wal_end.size() - 2]);
    }
    copy_crash_image(live, pristine);
  }

  std::vector<std::uint64_t> cuts = {0, 1, 31, 32, 33};
  for (std::uint64_t end : wal_end) {
    for (std::uint64_t c : {end - 1, end, end + 1}) cuts.push_back(c);
  }
  const std::uint64_t seed = test_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 20; ++i) cuts.push_back(rng() % wal_end.back());

  for (std::uint64_t cut : cuts) {
    if (cut > wal_end.back()) continue;
    CAPTURE(cut);
    const std::string crashed = dir.str() + "/crashed";
    fs::remove_all(crashed);
    copy_crash_image(pristine, crashed);
    fs::resize_file(crashed + wal, cut);

    std::uint64_t survived = 0;  // commits fully inside the cut
    for (std::uint64_t i = 1; i <= commits; ++i) {
      if (wal_end[i] <= cut) survived = i;
    }
    auto store = open_ok(crashed);
    InitialState state = load_ok(*store);
    CHECK(indexes(state) == range(1, survived));
    for (const LogEntry& e : state.entries) CHECK(e == entry(e.index, 1, 300));
    CHECK(state.hard_state.commit == (survived > 0 ? survived - 1 : 0));
  }

  {  // garbage appended after the last frame is ignored
    const std::string crashed = dir.str() + "/garbage";
    copy_crash_image(pristine, crashed);
    {
      std::ofstream out(crashed + wal, std::ios::binary | std::ios::app);
      for (int i = 0; i < 6000; ++i) out.put(static_cast<char>(rng()));
    }
    auto store = open_ok(crashed);
    CHECK(indexes(load_ok(*store)) == range(1, commits));
  }
  {  // a flipped byte in a frame ends recovery at the commit before
    const std::string crashed = dir.str() + "/flipped";
    copy_crash_image(pristine, crashed);
    // Inside commit 10's frames: after commit 9 ended, before 10 ended.
    flip_byte(crashed + wal, wal_end[9] + 100);
    auto store = open_ok(crashed);
    CHECK(indexes(load_ok(*store)) == range(1, 9));
  }
}

}  // namespace
}  // namespace slurp::storage::testing
