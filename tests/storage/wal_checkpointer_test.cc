// raft.db and contexts.db turn SQLite's automatic checkpoints off on the
// node's connection and leave them to a WalCheckpointer: these tests show
// that the WAL still reaches the database file while the owner does
// nothing at all (without the thread it would stay in the WAL until the
// connection closes).
#include "src/storage/wal_checkpointer.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "storage_test_support.h"

namespace slurp::storage::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Polls until `ok` holds or the deadline passes; true if it held.
template <typename Predicate>
bool wait_until(Predicate ok, milliseconds deadline) {
  const auto end = steady_clock::now() + deadline;
  while (!ok()) {
    if (steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

constexpr std::uintmax_t kWrittenBytes = 2 * 1024 * 1024;

TEST_CASE("raft.db: the WAL reaches the database file while its owner idles",
          "[storage][sqlite][checkpoint]") {
  TempDir dir;
  auto opened = SqliteStorage::open(dir.path());
  REQUIRE(opened);
  SqliteStorage& store = **opened;
  REQUIRE(store.load());
  const fs::path db = dir.path() / "raft.db";
  // 512 entries of 4 KiB, in commits of 16: more than the 1,000 WAL pages
  // at which an automatic checkpoint would have copied them in a commit.
  for (std::uint64_t first = 1; first <= 512; first += 16) {
    REQUIRE(store.write(std::nullopt, entries(first, first + 15, 1, 4096),
                        std::nullopt));
    REQUIRE(store.sync());
  }
  // The checkpointer copies them in within a few of its 1 s rounds while
  // this thread only watches the file.
  CHECK(wait_until([&] { return fs::file_size(db) >= kWrittenBytes; },
                   milliseconds(15000)));
}

TEST_CASE("WalCheckpointer: copies another connection's WAL into the file",
          "[storage][checkpoint]") {
  TempDir dir;
  const std::string path = (dir.path() / "t.db").string();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  auto exec = [&](const char* sql) {
    REQUIRE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  };
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA wal_autocheckpoint=0");
  exec("CREATE TABLE t (b BLOB)");
  exec("BEGIN");
  for (int i = 0; i < 1024; ++i) {
    exec("INSERT INTO t VALUES (zeroblob(2048))");
  }
  exec("COMMIT");
  const std::uintmax_t before = fs::file_size(path);
  CHECK(before < kWrittenBytes);  // all of it is still in the WAL
  {
    WalCheckpointer checkpointer(path, milliseconds(50), 1000);
    CHECK(wait_until([&] { return fs::file_size(path) >= kWrittenBytes; },
                     milliseconds(10000)));
  }
  sqlite3_close(db);
}

}  // namespace
}  // namespace slurp::storage::testing
