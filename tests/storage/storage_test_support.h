// Helpers shared by the storage tests: temporary directories, entry
// builders, direct SQL on a raft.db (to play the part of damaged media),
// and one harness per RaftStorage so behavioural tests are written once.
#pragma once

#include <sqlite3.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/storage/memory_storage.h"
#include "src/storage/sqlite_storage.h"
#include "tests/support/temp_dir.h"

namespace slurp::storage::testing {

using slurp::testing::TempDir;

// Catch's --rng-seed when given, else a fresh one: randomized tests CAPTURE
// it so a failure can be replayed with --rng-seed <seed>.
inline std::uint64_t test_seed() {
  if (Catch::rngSeed() != 0) return Catch::rngSeed();
  const std::uint64_t seed = std::random_device{}();
  return seed != 0 ? seed : 1;
}

// Deterministic payload for an index, so a test can check any entry it
// reads back without remembering what it wrote.
inline Bytes payload(std::uint64_t index, std::size_t bytes) {
  Bytes data(bytes);
  for (std::size_t i = 0; i < bytes; ++i) {
    data[i] = static_cast<std::uint8_t>(index * 131 + i * 7);
  }
  return data;
}

inline LogEntry entry(std::uint64_t index, std::uint64_t term,
                      std::size_t bytes = 16) {
  return LogEntry{index, term, 1, payload(index, bytes)};
}

// Entries [first, last] in `term`.
inline std::vector<LogEntry> entries(std::uint64_t first, std::uint64_t last,
                                     std::uint64_t term,
                                     std::size_t bytes = 16) {
  std::vector<LogEntry> out;
  for (std::uint64_t i = first; i <= last; ++i) {
    out.push_back(entry(i, term, bytes));
  }
  return out;
}

inline consensus::Snapshot snapshot(std::uint64_t index, std::uint64_t term,
                                    std::size_t bytes = 64) {
  return consensus::Snapshot{{index, term}, payload(index + 1000, bytes)};
}

inline std::vector<std::uint64_t> indexes(const consensus::InitialState& s) {
  std::vector<std::uint64_t> out;
  for (const LogEntry& e : s.entries) out.push_back(e.index);
  return out;
}

inline std::vector<std::uint64_t> range(std::uint64_t first,
                                        std::uint64_t last) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

// Runs SQL on dir/raft.db through a connection of its own, as an operator's
// sqlite3 shell (or a failing disk) would.
inline void run_sql(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2((dir + "/raft.db").c_str(), &db,
                           SQLITE_OPEN_READWRITE, nullptr);
  std::string message = db != nullptr ? sqlite3_errmsg(db) : "no memory";
  if (rc == SQLITE_OK) {
    char* error = nullptr;
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    if (error != nullptr) message = error;
    sqlite3_free(error);
  }
  sqlite3_close_v2(db);
  INFO(sql << ": " << message);
  REQUIRE(rc == SQLITE_OK);
}

// The first column of the first row of a query on dir/raft.db, as text.
inline std::string sql_scalar(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2((dir + "/raft.db").c_str(), &db, SQLITE_OPEN_READONLY,
                          nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  std::string out;
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    if (text != nullptr) out = reinterpret_cast<const char*>(text);
  }
  INFO(sql << ": " << sqlite3_errmsg(db));
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  REQUIRE(rc == SQLITE_ROW);
  return out;
}

struct SqliteHarness {
  static constexpr const char* kName = "sqlite";
  TempDir dir;
  std::unique_ptr<SqliteStorage> store;

  SqliteHarness() { reopen(); }
  RaftStorage& get() { return *store; }
  // Close (losing what is unsynced) and open again.
  void reopen() {
    store.reset();
    auto opened = SqliteStorage::open(dir.path());
    REQUIRE(opened);
    store = std::move(*opened);
  }
  // Media damage on a synced record: its stored crc gets bit 0 flipped
  // (SQLite has no XOR; (a | 1) - (a & 1) is a ^ 1). Again restores it.
  void corrupt(std::uint64_t index) {
    store.reset();
    run_sql(dir.path(),
            "UPDATE log SET crc = (crc | 1) - (crc & 1) "
            "WHERE idx = " +
                std::to_string(index));
    reopen();
  }
};

struct MemoryHarness {
  static constexpr const char* kName = "memory";
  MemoryStorage store;

  RaftStorage& get() { return store; }
  void reopen() { store.restart(); }
  void corrupt(std::uint64_t index) {
    REQUIRE(store.corrupt_record_for_testing(index));
    store.restart();
  }
};

}  // namespace slurp::storage::testing
