// A thread that copies a SQLite database's WAL into the database once per
// interval, through its own connection. A checkpoint writes every page the
// WAL holds into the database file and fsyncs it: with SQLite's automatic
// checkpoints that happened inside whichever commit crossed 1,000 pages,
// on the node thread (raft.db: 80-100 ms turns every second or so under
// load). Owners set `PRAGMA wal_autocheckpoint=0` on their own connection
// and start one of these.
//
// PASSIVE checkpoints never wait for the writer or the readers; what one
// cannot copy yet waits for the next round. The WAL grows meanwhile by
// what was committed in one interval.
//
// Threads: construct and destroy on the owner's thread; the checkpoint
// thread is private.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace slurp::storage {

class WalCheckpointer {
 public:
  WalCheckpointer(std::string db_path, std::chrono::milliseconds interval,
                  int busy_timeout_ms);
  // Stops and joins the thread (waits for a checkpoint under way).
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

 private:
  void run();

  const std::string db_path_;
  const std::chrono::milliseconds interval_;
  const int busy_timeout_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace slurp::storage
