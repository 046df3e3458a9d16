#include "src/storage/wal_checkpointer.h"

#include <sqlite3.h>

#include "src/storage/sqlite_handle.h"

namespace slurp::storage {

WalCheckpointer::WalCheckpointer(std::string db_path,
                                 std::chrono::milliseconds interval,
                                 int busy_timeout_ms)
    : db_path_(std::move(db_path)),
      interval_(interval),
      busy_timeout_ms_(busy_timeout_ms),
      thread_([this] { run(); }) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// A database that cannot be opened here is one the owner could not use
// either: it reports that through its own connection, and the WAL is then
// only checkpointed when the owner closes it.
void WalCheckpointer::run() {
  auto db = open_database(db_path_);
  if (!db) return;
  sqlite3_busy_timeout(db->get(), busy_timeout_ms_);
  // Checkpoints fsync the WAL before copying it and the database before
  // the WAL is reused: the owners' connections may run with fewer syncs
  // (contexts.db's runs with none) because this one makes them.
  (void)sqlite3_exec(db->get(), "PRAGMA synchronous=FULL", nullptr, nullptr,
                     nullptr);
  // A connection that has read nothing yet does not know the file is in
  // WAL mode: its checkpoints return SQLITE_OK having done nothing (the
  // frame counts come back -1). contexts.db's first checkpointer did just
  // that, and its WAL grew to the size of the store. One read opens it.
  (void)sqlite3_exec(db->get(), "SELECT count(*) FROM sqlite_master", nullptr,
                     nullptr, nullptr);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, interval_);
    if (stop_) break;
    lock.unlock();
    (void)sqlite3_wal_checkpoint_v2(
        db->get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
  }
}

}  // namespace slurp::storage
