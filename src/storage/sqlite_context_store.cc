#include "src/storage/sqlite_context_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "protocol/limits.h"
#include "protocol/record_codec.h"
#include "src/state/memory_context_store.h"
#include "src/storage/sqlite_handle.h"

namespace slurp::storage {
namespace {

constexpr std::uint64_t kSchemaVersion = 1;
const std::string kJournalSizeLimit =
    "PRAGMA journal_size_limit=" + std::to_string(limits::wal_file_kept_bytes);

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS context_versions (
  address TEXT NOT NULL,
  idx INTEGER NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (address, idx));
CREATE TABLE IF NOT EXISTS store_meta (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  applied_index INTEGER NOT NULL);
)sql";

Status fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return ok_status();  // no WAL: nothing to sync
    return make_error(ErrorCode::internal,
                      "open " + path + ": " + std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) {
    return make_error(ErrorCode::internal,
                      "fsync " + path + ": " + std::strerror(error));
  }
  return ok_status();
}

}  // namespace

Result<state::StoredContext> decode_context_row(const Bytes& blob,
                                                const std::string& address) {
  Result<state::StoredContext> stored =
      decode_record<state::StoredContext>(blob);
  if (!stored) {
    return make_error(ErrorCode::internal,
                      "contexts.db holds an undecodable record for " + address +
                          ": " + stored.error().describe());
  }
  return stored;
}

struct SqliteContextStore::Statements {
  DbHandle db;
  StmtHandle find_before;  // latest row of an address below an index
  StmtHandle put;
  StmtHandle scan;
  StmtHandle clear;
  StmtHandle meta;
  StmtHandle begin;
  StmtHandle commit;
};

std::string SqliteContextStore::path_in(const std::string& dir) {
  return dir + "/contexts.db";
}

Result<std::unique_ptr<SqliteContextStore>> SqliteContextStore::open(
    const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(ErrorCode::internal,
                      "create " + dir + ": " + ec.message());
  }
  auto db = open_database(path_in(dir));
  if (!db) return db.error();
  sqlite3* raw = db->get();
  sqlite3_busy_timeout(raw, contexts_busy_timeout_ms);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=OFF",
        "PRAGMA wal_autocheckpoint=0", kJournalSizeLimit.c_str()}) {
    auto stmt = prepare(raw, pragma);
    if (!stmt) return stmt.error();
    Query q(stmt->get());
    if (auto row = q.step(); !row) return row.error();
  }
  {
    auto stmt = prepare(raw, "PRAGMA user_version");
    if (!stmt) return stmt.error();
    Query q(stmt->get());
    auto row = q.step();
    if (!row) return row.error();
    const std::uint64_t version = *row ? q.u64(0) : 0;
    if (version != 0 && version != kSchemaVersion) {
      return make_error(ErrorCode::internal,
                        "contexts.db has schema " + std::to_string(version) +
                            "; this build knows " +
                            std::to_string(kSchemaVersion));
    }
  }
  if (auto s = exec(raw, kSchema); !s) return s.error();
  if (auto s =
          exec(raw, "PRAGMA user_version=" + std::to_string(kSchemaVersion));
      !s) {
    return s.error();
  }
  auto st = std::make_unique<Statements>();
  struct Sql {
    StmtHandle* into;
    const char* text;
  };
  const Sql sql[] = {
      {&st->find_before,
       "SELECT record FROM context_versions WHERE address = ?1 AND idx < ?2 "
       "ORDER BY idx DESC LIMIT 1"},
      {&st->put,
       "INSERT OR REPLACE INTO context_versions (address, idx, record) "
       "VALUES (?1, ?2, ?3)"},
      {&st->scan, current_contexts_sql},
      {&st->clear, "DELETE FROM context_versions"},
      {&st->meta,
       "INSERT OR REPLACE INTO store_meta (id, applied_index) VALUES (0, ?1)"},
      {&st->begin, "BEGIN"},
      {&st->commit, "COMMIT"},
  };
  for (const Sql& s : sql) {
    auto stmt = prepare(raw, s.text);
    if (!stmt) return stmt.error();
    *s.into = std::move(*stmt);
  }
  std::uint64_t committed = 0;
  {
    auto stmt = prepare(raw, "SELECT applied_index FROM store_meta");
    if (!stmt) return stmt.error();
    Query q(stmt->get());
    auto row = q.step();
    if (!row) return row.error();
    if (*row) committed = q.u64(0);
  }
  st->db = std::move(*db);
  std::unique_ptr<SqliteContextStore> store(
      new SqliteContextStore(dir, std::move(st)));
  store->committed_index_ = committed;
  store->checkpointer_ = std::make_unique<WalCheckpointer>(
      path_in(dir),
      std::chrono::milliseconds(limits::wal_checkpoint_interval_ms),
      contexts_busy_timeout_ms);
  return store;
}

Status SqliteContextStore::make_durable(const std::string& dir) {
  // The WAL holds every commit not yet checkpointed; a checkpoint fsyncs
  // the database before the WAL is reused, so these two cover them all.
  if (Status s = fsync_path(path_in(dir) + "-wal"); !s) return s;
  return fsync_path(path_in(dir));
}

SqliteContextStore::SqliteContextStore(std::string dir,
                                       std::unique_ptr<Statements> statements)
    : dir_(std::move(dir)), s_(std::move(statements)) {}

SqliteContextStore::~SqliteContextStore() {
  checkpointer_.reset();
  if (in_transaction_) (void)exec(s_->db.get(), "ROLLBACK");
  // The last connection to close checkpoints the WAL into the database and
  // deletes it: with synchronous=OFF that checkpoint would not fsync the
  // database first, and a power loss right after could lose pages the
  // deleted WAL held. Closing is off the hot path; NORMAL syncs it.
  (void)exec(s_->db.get(), "PRAGMA synchronous=NORMAL");
}

void SqliteContextStore::fail(Error error) const {
  if (!failure_) failure_ = std::move(error);
}

Status SqliteContextStore::begin_if_needed() {
  if (in_transaction_) return ok_status();
  Query q(s_->begin.get());
  if (Status s = q.run(); !s) return s;
  in_transaction_ = true;
  return ok_status();
}

void SqliteContextStore::begin_entry(std::uint64_t index) {
  entry_index_ = index;
  entry_puts_.clear();
}

std::optional<state::StoredContext> SqliteContextStore::find(
    const std::string& address) const {
  if (auto it = entry_puts_.find(address); it != entry_puts_.end()) {
    return it->second;
  }
  if (failure_) return std::nullopt;
  Query q(s_->find_before.get());
  q.bind(1, address).bind(2, entry_index_);
  auto row = q.step();
  if (!row) {
    fail(row.error());
    return std::nullopt;
  }
  if (!*row) return std::nullopt;
  auto stored = decode_context_row(q.blob(0), address);
  if (!stored) {
    fail(stored.error());
    return std::nullopt;
  }
  return std::move(*stored);
}

void SqliteContextStore::put(const state::StoredContext& record) {
  entry_puts_.insert_or_assign(record.context.address, record);
  if (failure_) return;
  if (Status s = begin_if_needed(); !s) return fail(s.error());
  // Bound without a copy (SQLITE_STATIC): it must outlive the step.
  const Bytes encoded = encode_record(record);
  Query q(s_->put.get());
  q.bind(1, record.context.address).bind(2, entry_index_).bind(3, encoded);
  if (Status s = q.run(); !s) return fail(s.error());
  dirty_ = true;
}

void SqliteContextStore::clear() {
  entry_puts_.clear();
  if (failure_) return;
  if (Status s = begin_if_needed(); !s) return fail(s.error());
  Query q(s_->clear.get());
  if (Status s = q.run(); !s) return fail(s.error());
  dirty_ = true;
}

void SqliteContextStore::scan(
    const std::string& prefix, const std::string& after,
    const std::function<bool(const state::StoredContext&)>& visit) const {
  if (failure_) return;
  Query q(s_->scan.get());
  q.bind(1, prefix).bind(2, after);
  for (;;) {
    auto row = q.step();
    if (!row) return fail(row.error());
    if (!*row) return;
    const std::string address = q.text(0);
    if (!address.starts_with(prefix)) return;
    auto stored = decode_context_row(q.blob(1), address);
    if (!stored) return fail(stored.error());
    if (!visit(*stored)) return;
  }
}

std::unique_ptr<state::ContextStore> SqliteContextStore::clone() const {
  auto copy = std::make_unique<state::MemoryContextStore>();
  scan("", "", [&](const state::StoredContext& stored) {
    copy->put(stored);
    return true;
  });
  return copy;
}

Status SqliteContextStore::commit(std::uint64_t applied_index, bool force) {
  if (failure_) return *failure_;
  if (!dirty_ && (!force || applied_index == committed_index_)) {
    return ok_status();
  }
  if (Status s = begin_if_needed(); !s) return s;
  {
    Query q(s_->meta.get());
    q.bind(1, applied_index);
    if (Status s = q.run(); !s) return s;
  }
  Query q(s_->commit.get());
  if (Status s = q.run(); !s) {
    fail(s.error());
    return s;
  }
  in_transaction_ = false;
  dirty_ = false;
  committed_index_ = applied_index;
  return ok_status();
}

}  // namespace slurp::storage
