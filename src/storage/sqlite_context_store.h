// The node's ContextStore (src/state/context_store.h): stored contexts in
// their own SQLite database, contexts.db, next to raft.db. Memory holds
// none of them, so a node's RSS does not grow with the store; reader
// threads serve get/list/export from it through their own read-only
// connections (context_reader.h) while the node thread applies.
//
// Schema (PRAGMA user_version = 1):
//   context_versions(address TEXT, idx INTEGER, record BLOB,
//                    PRIMARY KEY (address, idx))
//       one row per address and log entry that stored a context there:
//       record is the StoredContext (msgpack, protocol/record_codec.h);
//       the current context of an address is its row with the highest idx.
//   store_meta(id = 0, applied_index)   the last entry whose writes are in
//       the same commit
// Versions are kept (the rule of context_store.h needs the ones a replay
// may read, and the versioned-contexts issue builds on them); pruning is
// not done yet.
//
// Durability: the Raft log is the record of truth and this database holds
// only what applied (hence committed) entries wrote. So commits here do not
// fsync: consistent after a crash, perhaps without its last commits, which
// the log replays. The node thread never fsyncs this file. Its connection
// runs with synchronous = OFF and automatic checkpoints off; the
// checkpointer thread of this class checkpoints through its own connection
// at SQLite's default (FULL), which fsyncs the WAL before copying it and
// the database before the WAL may be reused. With NORMAL on the node's
// connection, the commit that started the WAL over after a checkpoint
// fsynced its header on the node thread: 19 fdatasyncs in 15 s of
// slurp-bench --phases store, slowest when they met the checkpointer's
// fsync of the same file. Not syncing that header loses nothing the log
// cannot replay: a header lost to a power cut leaves the old one, whose
// salts reject the new frames, and the checkpointer fsyncs the new one
// before any of those frames reach the database. Before Raft drops log
// entries up to a snapshot's index, make_durable() fsyncs the WAL so that
// nothing those entries wrote can be lost (the snapshot writer calls it).
//
// Failures: a write that fails leaves the store unusable; failure() says
// why, and the node stops (continuing would fork its state from the
// others').
//
// Threads: one owner thread (the node's) for every method; the
// checkpointer thread is private and only checkpoints.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "protocol/result.h"
#include "src/state/context_store.h"
#include "src/state/state_machine.h"
#include "src/storage/wal_checkpointer.h"

namespace slurp::storage {

// Shared with ContextReader (context_reader.h), which reads the same
// tables through its own connection.
// How long a connection waits for another's lock (a checkpoint).
inline constexpr int contexts_busy_timeout_ms = 2000;
// The current contexts from a prefix (?1) and after a cursor (?2), in
// address order. SQLite takes the bare column `record` from the row max()
// chose; GROUP BY walks the (address, idx) key in order, so rows stream
// and a page stops early without reading the rest. One lower bound, not
// two: given `address >= ?1 AND address > ?2` SQLite ranged on the prefix
// and stepped over every row before the cursor, so each page of an export
// cost more than the last (0.47 s for 100 rows 900,000 rows in).
inline constexpr const char* current_contexts_sql =
    "SELECT address, record, max(idx) FROM context_versions "
    "WHERE address >= max(?1, ?2) AND address != ?2 GROUP BY address "
    "ORDER BY address";
// A row's record, decoded; internal naming the address when it is not one.
Result<state::StoredContext> decode_context_row(const Bytes& blob,
                                                const std::string& address);

class SqliteContextStore final : public state::ContextStore {
 public:
  // Opens or creates dir/contexts.db. Errors: internal for I/O and SQLite
  // failures and for a schema this build does not know.
  static Result<std::unique_ptr<SqliteContextStore>> open(
      const std::string& dir);
  static std::string path_in(const std::string& dir);
  // fsyncs dir's contexts.db and its WAL: every commit made before the call
  // survives a power loss. Any thread or process.
  static Status make_durable(const std::string& dir);

  // Rolls back what was not committed, as a crash would.
  ~SqliteContextStore() override;
  SqliteContextStore(const SqliteContextStore&) = delete;
  SqliteContextStore& operator=(const SqliteContextStore&) = delete;

  void begin_entry(std::uint64_t index) override;
  std::optional<state::StoredContext> find(
      const std::string& address) const override;
  void put(const state::StoredContext& record) override;
  void clear() override;
  void scan(const std::string& prefix, const std::string& after,
            const std::function<bool(const state::StoredContext&)>& visit)
      const override;
  // A MemoryContextStore with the current contexts (tests only: it reads
  // the whole store).
  std::unique_ptr<state::ContextStore> clone() const override;

  // Commits what was put since the last commit, with `applied_index`, so
  // readers see it. No fsync. A no-op when nothing was put, unless
  // `force` (a snapshot at applied_index needs it recorded: see
  // committed_index).
  Status commit(std::uint64_t applied_index, bool force = false);
  // The applied index of the last commit (at open: of the last one that
  // survived). The store holds everything entries up to it wrote; a node
  // whose snapshot is newer than this must restore the snapshot's
  // contexts too.
  std::uint64_t committed_index() const { return committed_index_; }
  // Why the store stopped working, if it did.
  const std::optional<Error>& failure() const { return failure_; }
  const std::string& dir() const { return dir_; }

 private:
  struct Statements;
  SqliteContextStore(std::string dir, std::unique_ptr<Statements> statements);
  Status begin_if_needed();
  void fail(Error error) const;

  std::string dir_;
  std::unique_ptr<Statements> s_;
  bool in_transaction_ = false;
  bool dirty_ = false;
  std::uint64_t entry_index_ = 0;
  std::uint64_t committed_index_ = 0;
  // What the current entry stored, so its later finds see it (rows at the
  // current index may also be a previous run's: see context_store.h).
  std::map<std::string, state::StoredContext> entry_puts_;
  mutable std::optional<Error> failure_;
  // Last: stopped before the connection it shares the file with closes.
  std::unique_ptr<WalCheckpointer> checkpointer_;
};

}  // namespace slurp::storage
