// Writes and fsyncs a Raft Ready's durable part on a thread of its own,
// so the node thread is never inside an fsync: while the log writer
// syncs (1-10 ms on a quiet disk, hundreds under contention), the node
// keeps reading its sockets, ticking and stepping the core, and a leader
// keeps sending appends and heartbeats (consensus/ready_loop.h,
// send_early). One write at a time: the next Ready is taken only after
// this one is durable, and it then covers everything that arrived in the
// meantime (group commit).
//
// The storage is the writer's alone while a write is under way; its owner
// may use it again (compaction, trimming) once take_done() has returned
// the outcome. What the owner writes then is made durable by the next
// write's sync, on this thread.
//
// Threads: submit(), busy(), take_done(), wake_fd() and wait() on the
// owner (node) thread; the writer thread is this class's own.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "protocol/result.h"
#include "src/consensus/raft.h"
#include "src/storage/raft_storage.h"

namespace slurp::storage {

class LogWriter {
 public:
  // Errors: internal when the eventfd or the thread cannot be made.
  static Result<std::unique_ptr<LogWriter>> start(RaftStorage& storage);
  // Finishes the write under way, if any, then stops the thread.
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Starts writing ready's hard state, snapshot and entries and syncing
  // them. `ready` must stay where it is, unchanged, until take_done()
  // returns. Only when !busy().
  void submit(const consensus::Ready& ready);
  // A write was submitted and its outcome not yet taken.
  bool busy() const { return submitted_; }
  // The outcome of the submitted write once it is durable (or failed);
  // nullopt while it runs. Clears busy().
  std::optional<Status> take_done();
  // Blocks until the submitted write is done and returns its outcome
  // (shutdown, tests).
  Status wait();
  // Readable once a write is done (an eventfd, for the node's poll).
  int wake_fd() const { return wake_fd_; }

  struct Counters {
    std::uint64_t writes = 0;
    std::uint64_t write_us_max = 0;  // write and fsync, on the writer thread
    std::uint64_t write_us_last = 0;
  };
  // As of the last take_done().
  const Counters& counters() const { return counters_; }

 private:
  explicit LogWriter(RaftStorage& storage) : storage_(storage) {}
  void run();

  RaftStorage& storage_;
  int wake_fd_ = -1;
  bool submitted_ = false;  // owner thread only
  Counters counters_;       // owner thread only

  std::mutex mutex_;
  std::condition_variable cv_;
  const consensus::Ready* pending_ = nullptr;  // under mutex_
  std::optional<Status> done_;                 // under mutex_
  std::uint64_t done_us_ = 0;                  // under mutex_
  bool stop_ = false;                          // under mutex_
  std::thread thread_;
};

}  // namespace slurp::storage
