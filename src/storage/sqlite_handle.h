// RAII for the SQLite C API: an owned connection, owned prepared
// statements, and Query, one checked use of a prepared statement.
//
// Every SQLite return code is checked; errors carry what was attempted and
// SQLite's own message. A handle belongs to one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "protocol/field_codec.h"
#include "protocol/result.h"

namespace slurp::storage {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbClose>;

struct StmtFinalize {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// internal: "<what>: <sqlite message> (code <extended code>)".
Error sqlite_error(sqlite3* db, const std::string& what);

// Read-write (creating the file) unless `read_only`.
Result<DbHandle> open_database(const std::string& path, bool read_only = false);
Result<StmtHandle> prepare(sqlite3* db, const std::string& sql);
// Runs SQL text without results (schema, pragmas that return nothing).
Status exec(sqlite3* db, const std::string& sql);

// One execution of a prepared statement. Bind errors are remembered and
// reported by the first step(); the destructor resets the statement and
// clears its bindings so it is ready for the next Query.
class Query {
 public:
  explicit Query(sqlite3_stmt* stmt);
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int index, std::uint64_t value);  // stored bit for bit
  Query& bind(int index, const std::string& text);
  Query& bind(int index, const Bytes& blob);

  // true: a row is ready to read; false: done.
  Result<bool> step();
  // Steps to the end, expecting no rows.
  Status run();

  bool is_null(int column) const;
  std::uint64_t u64(int column) const;
  std::string text(int column) const;
  Bytes blob(int column) const;

 private:
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
  int bind_index_ = 0;
};

}  // namespace slurp::storage
