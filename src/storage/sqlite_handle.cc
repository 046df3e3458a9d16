#include "src/storage/sqlite_handle.h"

#include <new>

namespace slurp::storage {

Error sqlite_error(sqlite3* db, const std::string& what) {
  const int code = db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
  const char* message =
      db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(SQLITE_NOMEM);
  return make_error(ErrorCode::internal, what + ": " + message + " (code " +
                                             std::to_string(code) + ")");
}

Result<DbHandle> open_database(const std::string& path, bool read_only) {
  sqlite3* raw = nullptr;
  const int mode = read_only ? SQLITE_OPEN_READONLY
                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, mode | SQLITE_OPEN_NOMUTEX, nullptr);
  DbHandle db(raw);  // closed on every path, even when open failed
  if (rc != SQLITE_OK) return sqlite_error(raw, "open " + path);
  if (sqlite3_extended_result_codes(raw, 1) != SQLITE_OK) {
    return sqlite_error(raw, "enable extended result codes");
  }
  return db;
}

Result<StmtHandle> prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc =
      sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()) + 1,
                         SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  StmtHandle stmt(raw);
  if (rc != SQLITE_OK) return sqlite_error(db, "prepare \"" + sql + "\"");
  return stmt;
}

Status exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return ok_status();
  std::string text = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return make_error(
      ErrorCode::internal,
      "\"" + sql + "\": " + text + " (code " + std::to_string(rc) + ")");
}

Query::Query(sqlite3_stmt* stmt) : stmt_(stmt) {}

Query::~Query() {
  // reset() repeats the last step()'s error, which step() already reported.
  (void)sqlite3_reset(stmt_);
  (void)sqlite3_clear_bindings(stmt_);
}

Query& Query::bind(int index, std::uint64_t value) {
  const int rc =
      sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value));
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
    bind_index_ = index;
  }
  return *this;
}

Query& Query::bind(int index, const std::string& text) {
  const int rc =
      sqlite3_bind_text(stmt_, index, text.data(),
                        static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
    bind_index_ = index;
  }
  return *this;
}

Query& Query::bind(int index, const Bytes& blob) {
  // A zero-length bind_blob with a null pointer would store NULL, not an
  // empty blob.
  const int rc = blob.empty() ? sqlite3_bind_zeroblob(stmt_, index, 0)
                              : sqlite3_bind_blob64(stmt_, index, blob.data(),
                                                    blob.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
    bind_index_ = index;
  }
  return *this;
}

Result<bool> Query::step() {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bind_rc_ != SQLITE_OK) {
    return make_error(
        ErrorCode::internal,
        std::string("bind parameter ") + std::to_string(bind_index_) +
            " of \"" + sqlite3_sql(stmt_) + "\": " + sqlite3_errstr(bind_rc_));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db, std::string("\"") + sqlite3_sql(stmt_) + "\"");
}

Status Query::run() {
  auto row = step();
  if (!row) return row.error();
  if (*row) {
    return make_error(
        ErrorCode::internal,
        std::string("\"") + sqlite3_sql(stmt_) + "\" returned a row");
  }
  return ok_status();
}

bool Query::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::uint64_t Query::u64(int column) const {
  return static_cast<std::uint64_t>(sqlite3_column_int64(stmt_, column));
}

std::string Query::text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  const int bytes = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(bytes));
}

Bytes Query::blob(int column) const {
  const auto* data =
      static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int bytes = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr && bytes > 0) throw std::bad_alloc();  // SQLITE_NOMEM
  if (data == nullptr) return {};
  return Bytes(data, data + bytes);
}

}  // namespace slurp::storage
