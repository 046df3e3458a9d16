#include "src/storage/sqlite_storage.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>

#include "protocol/crc32c.h"
#include "protocol/limits.h"
#include "src/storage/durable_file.h"
#include "src/storage/log_record.h"
#include "src/storage/snapshot_file.h"
#include "src/storage/sqlite_handle.h"
#include "src/storage/wal_checkpointer.h"

namespace slurp::storage {
namespace {

constexpr std::uint64_t kSchemaVersion = 1;
constexpr std::uint64_t kEntryHeaderBytes = 24;  // idx, term, kind
// An operator's sqlite3 shell may hold the lock briefly (e.g. a checkpoint).
constexpr int kBusyTimeoutMs = 2000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS hard_state (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  term INTEGER NOT NULL,
  voted_for TEXT NOT NULL,
  commit_index INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log (
  idx INTEGER PRIMARY KEY,
  term INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  data BLOB NOT NULL,
  crc INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot_meta (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  last_index INTEGER NOT NULL,
  last_term INTEGER NOT NULL,
  file TEXT NOT NULL,
  size INTEGER NOT NULL,
  crc INTEGER NOT NULL);
)sql";

std::string snapshot_file_name(std::uint64_t index) {
  return "snapshot-" + std::to_string(index) + ".bin";
}
std::string snapshot_tmp_name(std::uint64_t index) {
  return "snapshot-" + std::to_string(index) + ".tmp";
}

struct SnapshotRow {
  consensus::SnapshotMeta meta;
  std::string file;
  std::uint64_t size = 0;
  std::uint32_t crc = 0;
};

// The flock() that keeps a second process out of the directory.
class LockFile {
 public:
  explicit LockFile(int fd) : fd_(fd) {}
  ~LockFile() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

 private:
  int fd_;
};

Result<std::unique_ptr<LockFile>> lock_directory(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(ErrorCode::internal,
                      "open " + path + ": " + std::strerror(errno));
  }
  auto lock = std::make_unique<LockFile>(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const bool held = errno == EWOULDBLOCK;
    return make_error(
        held ? ErrorCode::unavailable : ErrorCode::internal,
        held ? "storage directory " + dir + " is in use by another process"
             : "flock " + path + ": " + std::strerror(errno));
  }
  return lock;
}

Result<std::uint64_t> pragma_value(sqlite3* db, const std::string& pragma) {
  auto stmt = prepare(db, "PRAGMA " + pragma);
  if (!stmt) return stmt.error();
  Query q(stmt->get());
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) {
    return make_error(ErrorCode::internal, "PRAGMA " + pragma + ": no value");
  }
  return q.u64(0);
}

Status configure(sqlite3* db) {
  auto stmt = prepare(db, "PRAGMA journal_mode=WAL");
  if (!stmt) return stmt.error();
  {
    Query q(stmt->get());
    auto row = q.step();
    if (!row) return row.error();
    if (!*row || q.text(0) != "wal") {
      return make_error(ErrorCode::internal,
                        "the database refused journal_mode=WAL");
    }
  }
  if (auto s = exec(db, "PRAGMA synchronous=FULL"); !s) return s;
  auto sync = pragma_value(db, "synchronous");
  if (!sync) return sync.error();
  if (*sync != 2) {  // 2 = FULL
    return make_error(ErrorCode::internal, "synchronous=FULL did not stick");
  }
  // Debian builds SQLite with SECURE_DELETE, which zeroes every page a
  // DELETE frees: compacting a log of file contents (hundreds of MB) then
  // wrote all of it again into the WAL, 300-900 ms on the node thread.
  // FAST zeroes only what is rewritten anyway. What stays in free pages is
  // file content the node's data directory already held.
  if (auto s = exec(db, "PRAGMA secure_delete=FAST"); !s) return s;
  // Checkpoints run on a thread of their own (wal_checkpointer.h): one in
  // the commit that crossed 1,000 WAL pages wrote 4 MB and fsynced on the
  // node thread, 80-100 ms every second or so while contexts were stored.
  if (auto s = exec(db, "PRAGMA wal_autocheckpoint=0"); !s) return s;
  if (auto s = exec(db, "PRAGMA journal_size_limit=" +
                            std::to_string(limits::wal_file_kept_bytes));
      !s) {
    return s;
  }
  if (sqlite3_busy_timeout(db, kBusyTimeoutMs) != SQLITE_OK) {
    return sqlite_error(db, "busy_timeout");
  }
  return ok_status();
}

Status create_schema(sqlite3* db) {
  if (auto s = exec(db, "BEGIN IMMEDIATE"); !s) return s;
  auto version = pragma_value(db, "user_version");
  Status s = version ? ok_status() : Status(version.error());
  if (s && *version > kSchemaVersion) {
    s = make_error(ErrorCode::internal, "raft.db has schema version " +
                                            std::to_string(*version) +
                                            "; this build knows up to " +
                                            std::to_string(kSchemaVersion));
  }
  if (s) s = exec(db, kSchema);
  if (s && *version == 0) {
    s = exec(db, "PRAGMA user_version=" + std::to_string(kSchemaVersion));
  }
  if (s) return exec(db, "COMMIT");
  (void)exec(db, "ROLLBACK");  // reporting the first failure, not this one
  return s;
}

}  // namespace

struct SqliteStorage::State {
  std::string dir;
  std::unique_ptr<LockFile> lock;
  DbHandle db;  // declared before the statements: finalized first
  StmtHandle begin, commit, rollback, savepoint, release, rollback_to;
  StmtHandle insert_entry, delete_from, delete_through, last_index, term_at;
  StmtHandle select_log, select_hard_state, upsert_hard_state;
  StmtHandle select_snapshot, upsert_snapshot;
  StmtHandle delete_through_chunk, first_index;
  bool in_transaction = false;
  bool sweep_snapshot_files = false;
  // Log rows at or below this index are covered by the snapshot and wait
  // for trim_compacted() (0: none).
  std::uint64_t trim_through = 0;
  std::optional<Error> failed;  // set by a failed commit or rollback
  Counters counters;
  // Last: stopped before the connection it shares the file with closes.
  std::unique_ptr<WalCheckpointer> checkpointer;

  Status prepare_all();
  Status usable() const;
  Status poison(const Error& error);
  Status in_savepoint(const std::function<Status()>& body);

  Result<std::optional<SnapshotRow>> read_snapshot_row();
  Result<std::optional<std::uint64_t>> read_term_at(std::uint64_t index);
  Result<LogBounds> read_bounds();
  Result<consensus::HardState> read_hard_state();
  Result<std::vector<StoredRecord>> read_log();
  Result<consensus::Snapshot> read_snapshot_file(const SnapshotRow& row);

  Status install_snapshot(const consensus::Snapshot& snapshot, bool compaction);
  // The snapshot_meta row for a snapshot whose file is written (size and
  // crc32c of its bytes), and what it makes of the log: `trim_later`
  // leaves the covered rows to trim_compacted().
  Status record_snapshot(const consensus::SnapshotMeta& meta,
                         std::uint64_t size, std::uint32_t crc, bool compaction,
                         bool trim_later);
  Status append_entries(const std::vector<LogEntry>& entries);
  Status store_hard_state(const consensus::HardState& hard_state);
  Status delete_torn_record(std::uint64_t index);
  void remove_stray_snapshot_files(const std::string& keep);
};

Status SqliteStorage::State::prepare_all() {
  const std::pair<StmtHandle*, const char*> statements[] = {
      {&begin, "BEGIN IMMEDIATE"},
      {&commit, "COMMIT"},
      {&rollback, "ROLLBACK"},
      {&savepoint, "SAVEPOINT write_call"},
      {&release, "RELEASE write_call"},
      {&rollback_to, "ROLLBACK TO write_call"},
      {&insert_entry,
       "INSERT INTO log (idx, term, kind, data, crc) VALUES (?1, ?2, ?3, ?4, "
       "?5)"},
      {&delete_from, "DELETE FROM log WHERE idx >= ?1"},
      {&delete_through, "DELETE FROM log WHERE idx <= ?1"},
      {&last_index, "SELECT MAX(idx) FROM log"},
      {&first_index, "SELECT MIN(idx) FROM log"},
      // One range of idx (the rowid) with one upper bound: given two
      // (idx <= ?1 AND idx < MIN(idx) + ?2) SQLite ranged on the first and
      // read every row up to it, the whole compacted log, to delete 256.
      {&delete_through_chunk, "DELETE FROM log WHERE idx <= ?1"},
      {&term_at, "SELECT term FROM log WHERE idx = ?1"},
      {&select_log, "SELECT idx, term, kind, data, crc FROM log ORDER BY idx"},
      {&select_hard_state,
       "SELECT term, voted_for, commit_index FROM hard_state WHERE id = 0"},
      {&upsert_hard_state,
       "REPLACE INTO hard_state (id, term, voted_for, commit_index) "
       "VALUES (0, ?1, ?2, ?3)"},
      {&select_snapshot,
       "SELECT last_index, last_term, file, size, crc FROM snapshot_meta "
       "WHERE id = 0"},
      {&upsert_snapshot,
       "REPLACE INTO snapshot_meta (id, last_index, last_term, file, size, "
       "crc) VALUES (0, ?1, ?2, ?3, ?4, ?5)"},
  };
  for (const auto& [handle, sql] : statements) {
    auto stmt = prepare(db.get(), sql);
    if (!stmt) return stmt.error();
    *handle = std::move(*stmt);
  }
  return ok_status();
}

Status SqliteStorage::State::usable() const {
  if (failed) {
    return make_error(ErrorCode::internal,
                      "storage unusable after an earlier failure (" +
                          failed->reason + "); restart and load()");
  }
  return ok_status();
}

Status SqliteStorage::State::poison(const Error& error) {
  failed = error;
  if (sqlite3_get_autocommit(db.get()) == 0) {
    (void)Query(rollback.get()).run();  // best effort; we are failing anyway
  }
  in_transaction = false;
  return error;
}

// Runs one write()/compact() in its own savepoint inside the open
// transaction, so a failed call leaves earlier unsynced writes intact and
// none of its own.
Status SqliteStorage::State::in_savepoint(const std::function<Status()>& body) {
  if (auto s = usable(); !s) return s;
  if (!in_transaction) {
    if (auto s = Query(begin.get()).run(); !s) return s;
    in_transaction = true;
  }
  if (auto s = Query(savepoint.get()).run(); !s) return poison(s.error());
  Status result = body();
  if (!result) {
    if (auto s = Query(rollback_to.get()).run(); !s) return poison(s.error());
  }
  if (auto s = Query(release.get()).run(); !s) return poison(s.error());
  return result;
}

Result<std::optional<SnapshotRow>> SqliteStorage::State::read_snapshot_row() {
  Query q(select_snapshot.get());
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return std::optional<SnapshotRow>();
  SnapshotRow out;
  out.meta = {q.u64(0), q.u64(1)};
  out.file = q.text(2);
  out.size = q.u64(3);
  out.crc = static_cast<std::uint32_t>(q.u64(4));
  return std::optional<SnapshotRow>(std::move(out));
}

Result<std::optional<std::uint64_t>> SqliteStorage::State::read_term_at(
    std::uint64_t index) {
  Query q(term_at.get());
  auto row = q.bind(1, index).step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(q.u64(0));
}

Result<LogBounds> SqliteStorage::State::read_bounds() {
  auto snapshot = read_snapshot_row();
  if (!snapshot) return snapshot.error();
  LogBounds bounds;
  if (*snapshot) bounds.snapshot_index = (*snapshot)->meta.last_index;
  Query q(last_index.get());
  auto row = q.step();
  if (!row) return row.error();
  bounds.last_index =
      (*row && !q.is_null(0)) ? q.u64(0) : bounds.snapshot_index;
  return bounds;
}

Result<consensus::HardState> SqliteStorage::State::read_hard_state() {
  Query q(select_hard_state.get());
  auto row = q.step();
  if (!row) return row.error();
  consensus::HardState hard_state;
  if (*row) hard_state = {q.u64(0), q.text(1), q.u64(2)};
  return hard_state;
}

Result<std::vector<StoredRecord>> SqliteStorage::State::read_log() {
  Query q(select_log.get());
  std::vector<StoredRecord> records;
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return records;
    StoredRecord record;
    record.entry = {q.u64(0), q.u64(1), q.u64(2), q.blob(3)};
    record.crc = static_cast<std::uint32_t>(q.u64(4));
    records.push_back(std::move(record));
  }
}

Result<consensus::Snapshot> SqliteStorage::State::read_snapshot_file(
    const SnapshotRow& row) {
  const std::string expected = snapshot_file_name(row.meta.last_index);
  if (row.file != expected) {
    return make_error(
        ErrorCode::internal,
        "snapshot_meta names file \"" + row.file + "\", expected " + expected);
  }
  // Checked a few MB at a time, then left on disk: the core reads from it
  // the chunks it sends (snapshot_file.h), the node the part it restores.
  const std::string path = dir + "/" + row.file;
  auto sum = sum_file(path);
  if (!sum) return sum.error();
  if (sum->size != row.size) {
    return make_error(ErrorCode::internal,
                      "snapshot file " + row.file + " has " +
                          std::to_string(sum->size) + " bytes, expected " +
                          std::to_string(row.size));
  }
  if (sum->crc != row.crc) {
    return make_error(ErrorCode::internal,
                      "snapshot file " + row.file + " failed its checksum");
  }
  auto data = snapshot_data_in_file(path, row.size);
  if (!data) return data.error();
  return consensus::Snapshot{row.meta, std::move(*data)};
}

Status SqliteStorage::State::install_snapshot(
    const consensus::Snapshot& snapshot, bool compaction) {
  const consensus::SnapshotMeta& meta = snapshot.meta;
  auto stored = read_snapshot_row();
  if (!stored) return stored.error();
  if (*stored && meta.last_index <= (*stored)->meta.last_index) {
    return record_snapshot(meta, snapshot.data.size(), 0, compaction, false);
  }
  auto bytes = snapshot.data.read_all();
  if (!bytes) return bytes.error();
  if (auto s = write_file_durably(dir, snapshot_tmp_name(meta.last_index),
                                  snapshot_file_name(meta.last_index), *bytes);
      !s) {
    return s;
  }
  return record_snapshot(meta, bytes->size(), crc32c(*bytes), compaction,
                         false);
}

Status SqliteStorage::State::record_snapshot(
    const consensus::SnapshotMeta& meta, std::uint64_t size, std::uint32_t crc,
    bool compaction, bool trim_later) {
  auto stored = read_snapshot_row();
  if (!stored) return stored.error();
  if (*stored && meta.last_index <= (*stored)->meta.last_index) {
    if (meta.last_index == (*stored)->meta.last_index) return ok_status();
    return make_error(ErrorCode::internal,
                      "snapshot at " + std::to_string(meta.last_index) +
                          " is older than the stored one at " +
                          std::to_string((*stored)->meta.last_index));
  }
  auto term = read_term_at(meta.last_index);
  if (!term) return term.error();
  const bool log_matches = *term && **term == meta.last_term;
  if (compaction && *term && !log_matches) {
    return make_error(ErrorCode::internal,
                      "compact at " + std::to_string(meta.last_index) +
                          ": log term " + std::to_string(**term) +
                          ", snapshot term " + std::to_string(meta.last_term));
  }
  sweep_snapshot_files = true;
  Query upsert(upsert_snapshot.get());
  upsert.bind(1, meta.last_index).bind(2, meta.last_term);
  upsert.bind(3, snapshot_file_name(meta.last_index));
  upsert.bind(4, size).bind(5, std::uint64_t{crc});
  if (auto s = upsert.run(); !s) return s;
  // Raft §5: keep what follows a matching entry, else the whole log goes.
  if (compaction || log_matches) {
    if (trim_later) {
      trim_through = meta.last_index;
      return ok_status();
    }
    trim_through = 0;
    return Query(delete_through.get()).bind(1, meta.last_index).run();
  }
  trim_through = 0;
  return Query(delete_from.get()).bind(1, std::uint64_t{0}).run();
}

Status SqliteStorage::State::append_entries(
    const std::vector<LogEntry>& entries) {
  if (entries.empty()) return ok_status();
  auto bounds = read_bounds();
  if (!bounds) return bounds.error();
  if (auto s = check_new_entries(entries, *bounds); !s) return s;
  if (entries.front().index <= bounds->last_index) {
    auto s = Query(delete_from.get()).bind(1, entries.front().index).run();
    if (!s) return s;
  }
  for (const LogEntry& entry : entries) {
    Query q(insert_entry.get());
    q.bind(1, entry.index).bind(2, entry.term).bind(3, entry.kind);
    q.bind(4, entry.data).bind(5, std::uint64_t{log_record_crc(entry)});
    if (auto s = q.run(); !s) return s;
  }
  return ok_status();
}

Status SqliteStorage::State::store_hard_state(
    const consensus::HardState& hard_state) {
  Query q(upsert_hard_state.get());
  q.bind(1, hard_state.term).bind(2, hard_state.voted_for);
  return q.bind(3, hard_state.commit).run();
}

Status SqliteStorage::State::delete_torn_record(std::uint64_t index) {
  if (auto s = Query(begin.get()).run(); !s) return s;
  Status s = Query(delete_from.get()).bind(1, index).run();
  if (s) s = Query(commit.get()).run();
  if (!s) return poison(s.error());
  return ok_status();
}

// Leftovers of snapshots that were replaced, or written by a transaction
// that never committed. Failing to remove one is harmless: the next sweep
// tries again.
void SqliteStorage::State::remove_stray_snapshot_files(
    const std::string& keep) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool snapshot_file =
        name.starts_with("snapshot-") &&
        (name.ends_with(".bin") || name.ends_with(".tmp"));
    if (snapshot_file && name != keep) {
      std::error_code ignored;
      std::filesystem::remove(it->path(), ignored);
    }
  }
}

Result<std::unique_ptr<SqliteStorage>> SqliteStorage::open(
    const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(ErrorCode::internal,
                      "create directory " + dir + ": " + ec.message());
  }
  auto state = std::make_unique<State>();
  state->dir = dir;
  auto lock = lock_directory(dir);
  if (!lock) return lock.error();
  state->lock = std::move(*lock);
  auto db = open_database(dir + "/raft.db");
  if (!db) return db.error();
  state->db = std::move(*db);
  if (auto s = configure(state->db.get()); !s) return s.error();
  if (auto s = create_schema(state->db.get()); !s) return s.error();
  if (auto s = state->prepare_all(); !s) return s.error();
  // SQLite fsyncs the directory for its -wal file but not for a newly
  // created raft.db itself.
  if (auto s = sync_directory(dir); !s) return s.error();
  state->checkpointer = std::make_unique<WalCheckpointer>(
      dir + "/raft.db",
      std::chrono::milliseconds(limits::wal_checkpoint_interval_ms),
      kBusyTimeoutMs);
  return std::unique_ptr<SqliteStorage>(new SqliteStorage(std::move(state)));
}

SqliteStorage::SqliteStorage(std::unique_ptr<State> state)
    : s_(std::move(state)) {}

SqliteStorage::~SqliteStorage() {
  if (s_->in_transaction) {
    (void)Query(s_->rollback.get()).run();  // closing would discard it too
  }
}

Result<consensus::InitialState> SqliteStorage::load(LoadStats* stats) {
  if (auto s = s_->usable(); !s) return s.error();
  if (s_->in_transaction) {
    return make_error(ErrorCode::internal,
                      "load() with unsynced writes pending; call it right "
                      "after open()");
  }
  auto hard_state = s_->read_hard_state();
  if (!hard_state) return hard_state.error();
  auto row = s_->read_snapshot_row();
  if (!row) return row.error();
  consensus::InitialState state;
  state.hard_state = *hard_state;
  if (*row) {
    auto snapshot = s_->read_snapshot_file(**row);
    if (!snapshot) return snapshot.error();
    state.snapshot = std::move(*snapshot);
  }
  auto records = s_->read_log();
  if (!records) return records.error();
  const consensus::SnapshotMeta meta =
      state.snapshot ? state.snapshot->meta : consensus::SnapshotMeta{};
  // Rows the snapshot covers that compact_written left for trimming (a
  // crash came first): not part of the log, trimmed again from here.
  if (state.snapshot) {
    const auto covered = std::find_if(
        records->begin(), records->end(),
        [&](const StoredRecord& r) { return r.entry.index > meta.last_index; });
    if (covered != records->begin()) {
      records->erase(records->begin(), covered);
      s_->trim_through = meta.last_index;
    }
  }
  const std::uint64_t last_stored =
      records->empty() ? 0 : records->back().entry.index;
  auto checked = check_stored_log(std::move(*records), meta.last_index,
                                  meta.last_term, hard_state->commit);
  if (!checked) return checked.error();
  if (checked->torn_tail) {
    if (auto s = s_->delete_torn_record(last_stored); !s) return s.error();
  }
  s_->remove_stray_snapshot_files(*row ? (*row)->file : std::string());
  if (stats != nullptr) stats->torn_records_dropped = checked->torn_tail;
  state.entries = std::move(checked->entries);
  return state;
}

Status SqliteStorage::write(
    const std::optional<consensus::HardState>& hard_state,
    const std::vector<LogEntry>& entries,
    const std::optional<consensus::Snapshot>& snapshot) {
  if (auto u = s_->usable(); !u) return u;
  if (!hard_state && entries.empty() && !snapshot) return ok_status();
  // Same order as MemoryStorage: snapshot, entries, hard state.
  Status s = s_->in_savepoint([&]() -> Status {
    if (snapshot) {
      if (auto r = s_->install_snapshot(*snapshot, false); !r) return r;
    }
    if (auto r = s_->append_entries(entries); !r) return r;
    if (hard_state) return s_->store_hard_state(*hard_state);
    return ok_status();
  });
  if (s) {
    for (const LogEntry& entry : entries) {
      s_->counters.bytes_written += kEntryHeaderBytes + entry.data.size();
    }
    if (snapshot) s_->counters.bytes_written += snapshot->data.size();
  }
  return s;
}

Status SqliteStorage::sync() {
  if (auto s = s_->usable(); !s) return s;
  if (!s_->in_transaction) return ok_status();
  // With synchronous=FULL, COMMIT returns after the WAL is fsynced.
  if (auto s = Query(s_->commit.get()).run(); !s) return s_->poison(s.error());
  s_->in_transaction = false;
  ++s_->counters.syncs;
  if (s_->sweep_snapshot_files) {
    s_->sweep_snapshot_files = false;
    auto row = s_->read_snapshot_row();
    if (row && *row) s_->remove_stray_snapshot_files((*row)->file);
  }
  return ok_status();
}

Status SqliteStorage::compact(std::uint64_t index,
                              const consensus::Snapshot& snapshot) {
  if (Status s = check_compact_args(index, snapshot); !s) return s;
  Status s = s_->in_savepoint(
      [&]() -> Status { return s_->install_snapshot(snapshot, true); });
  if (s) s_->counters.bytes_written += snapshot.data.size();
  return s;
}

Status SqliteStorage::write_snapshot_file(const std::string& dir,
                                          const consensus::Snapshot& snapshot) {
  const std::uint64_t index = snapshot.meta.last_index;
  auto bytes = snapshot.data.read_all();
  if (!bytes) return bytes.error();
  return write_file_durably(dir, snapshot_tmp_name(index),
                            snapshot_file_name(index), *bytes);
}

std::string SqliteStorage::snapshot_file_path(const std::string& dir,
                                              std::uint64_t index) {
  return dir + "/" + snapshot_file_name(index);
}

Status SqliteStorage::compact_written(const consensus::SnapshotMeta& meta,
                                      std::uint64_t size, std::uint32_t crc) {
  Status s = s_->in_savepoint([&]() -> Status {
    return s_->record_snapshot(meta, size, crc, true, true);
  });
  if (s) s_->counters.bytes_written += size;
  return s;
}

Result<bool> SqliteStorage::trim_compacted(std::uint64_t rows_max) {
  if (s_->trim_through == 0 || rows_max == 0) return s_->trim_through != 0;
  std::optional<std::uint64_t> first_index;
  {
    Query first(s_->first_index.get());
    auto row = first.step();
    if (!row) return row.error();
    if (*row && !first.is_null(0)) first_index = first.u64(0);
  }
  if (!first_index || *first_index > s_->trim_through) {
    s_->trim_through = 0;
    return false;
  }
  const std::uint64_t through =
      std::min(s_->trim_through, *first_index + rows_max - 1);
  Status s = s_->in_savepoint([&]() -> Status {
    Query q(s_->delete_through_chunk.get());
    return q.bind(1, through).run();
  });
  if (!s) return s.error();
  if (through == s_->trim_through) s_->trim_through = 0;
  return s_->trim_through != 0;
}

const SqliteStorage::Counters& SqliteStorage::counters() const {
  return s_->counters;
}

const std::string& SqliteStorage::dir() const {
  return s_->dir;
}

}  // namespace slurp::storage
