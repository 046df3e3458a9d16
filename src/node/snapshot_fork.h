// A snapshot of the state machine taken by a forked child process, so the
// node thread never stalls on it.
//
// Why a child: encoding copies and serializes the whole state, and with
// tens of thousands of stored contexts (40 MB) that took 200-500 ms, and
// writing it durably another 300-800 ms; on the node thread that missed
// heartbeats and caused elections. fork() gives the child the state as it
// was at that instant (copy-on-write), with no copy made on the node
// thread and no lock: the parent goes on applying entries while the child
// encodes and writes snapshot-<index>.bin (SqliteStorage::
// write_snapshot_file). A helper thread reads the file back (Raft keeps the
// latest snapshot in memory for followers); the node thread then compacts
// Raft and records it (SqliteStorage::compact_written).
//
// With the contexts on disk (contexts.db), the child writes only the core
// (everything but the contexts, bounded by the queue's limits) and fsyncs
// contexts.db; the node hands Raft a StoreSnapshot
// (storage/store_snapshot.h), which reads the contexts from the store
// when a follower needs them.
//
// The child runs only the state machine's encoder and plain file I/O: no
// logging, no ZeroMQ, no SQLite, nothing that another thread of the parent
// might have held locked at the fork (glibc's malloc is safe across fork). It
// dies with its parent (PR_SET_PDEATHSIG), so a SIGKILLed node leaves none.
//
// Threads: the node thread only (a helper thread of its own reads the
// finished file back).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>

#include "protocol/result.h"
#include "src/consensus/raft.h"
#include "src/state/state_machine.h"

namespace slurp::node {

class SnapshotFork {
 public:
  // Forks a child that writes `state` as the snapshot `meta` into `dir`.
  // With `contexts_dir`, the state's contexts are in that directory's
  // contexts.db (committed up to meta.last_index before the call): the
  // file holds the core only, and contexts.db is made durable; without,
  // the file holds the whole state.
  // Errors: internal when the pipe or fork fails.
  static Result<SnapshotFork> start(const state::StateMachine& state,
                                    consensus::SnapshotMeta meta,
                                    const std::string& dir,
                                    const std::string& contexts_dir = "");

  SnapshotFork(SnapshotFork&& other) noexcept;
  SnapshotFork& operator=(SnapshotFork&& other) = delete;
  SnapshotFork(const SnapshotFork&) = delete;
  SnapshotFork& operator=(const SnapshotFork&) = delete;
  // A child still running is killed and reaped.
  ~SnapshotFork();

  // The written snapshot's bytes and their crc32c, read back by a helper
  // thread so a large file costs the node thread nothing.
  // The file's bytes (with contexts.db: the core frame only).
  struct Written {
    Bytes data;
    std::uint64_t size = 0;
    std::uint32_t crc = 0;
  };

  // Does not block: nullopt while the child runs and while its file is
  // read back; then the snapshot or why there is none.
  std::optional<Result<Written>> poll();

  const consensus::SnapshotMeta& meta() const { return meta_; }
  // The state's context_count() and context_bytes() at the fork.
  std::uint64_t context_count() const { return context_count_; }
  std::uint64_t context_bytes() const { return context_bytes_; }
  std::chrono::steady_clock::time_point started() const { return started_; }
  // How long fork() held the node thread (copying page tables).
  double fork_ms() const { return fork_ms_; }

 private:
  SnapshotFork(pid_t pid, int error_fd, consensus::SnapshotMeta meta,
               std::string dir);
  std::string read_error();
  // Nullopt while the child runs; then whether it wrote the file.
  std::optional<Status> poll_child();

  pid_t pid_ = -1;     // -1 once reaped
  int error_fd_ = -1;  // the child writes why it failed here
  std::string dir_;
  std::future<Result<Written>> reading_;
  consensus::SnapshotMeta meta_;
  std::uint64_t context_count_ = 0;
  std::uint64_t context_bytes_ = 0;
  std::chrono::steady_clock::time_point started_;
  double fork_ms_ = 0;
};

}  // namespace slurp::node
