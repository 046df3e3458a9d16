#include "src/node/snapshot_fork.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <utility>

#include "protocol/crc32c.h"
#include "src/state/snapshot_frames.h"
#include "src/storage/durable_file.h"
#include "src/storage/sqlite_context_store.h"
#include "src/storage/sqlite_storage.h"

namespace slurp::node {
namespace {

constexpr int kChildNice = 19;
// ioprio_set(2): best-effort class (2) at its lowest level (7); glibc has
// no wrapper and Debian ships no header for the constants.
constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioLowest = (2 << 13) | 7;

Error os_error(const std::string& what) {
  return make_error(ErrorCode::internal, what + ": " + std::strerror(errno));
}

// In the child: the snapshot, then _exit. Never returns.
[[noreturn]] void run_child(const state::StateMachine& state,
                            const consensus::SnapshotMeta& meta,
                            const std::string& dir,
                            const std::string& contexts_dir, int error_fd) {
  // Gone with the node: a SIGKILLed parent must not leave a writer behind.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) ::_exit(1);  // the parent died before the prctl
  ::prctl(PR_SET_NAME, "slurpd-snapshot");
  // Last in line for the CPU and the disk: on a small machine the nodes'
  // own loops must win, or three children encoding at once starve the
  // leader's heartbeats (slurp-bench saw elections before this).
  (void)::setpriority(PRIO_PROCESS, 0, kChildNice);
  (void)::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, kIoprioLowest);
  std::string failure;
  try {
    // With contexts.db, the core alone (StoreSnapshot, in the parent,
    // reads the contexts from the store when a follower needs them). Then
    // contexts.db is fsynced, because the log up to the index is about to
    // be dropped and nothing those entries wrote may be lost. Plain
    // fsyncs: no SQLite in the child (another thread of the parent may
    // have held its locks at the fork).
    Bytes data;
    if (contexts_dir.empty()) {
      data = state.snapshot();
    } else {
      state::append_frame(data, state.core_snapshot());
    }
    consensus::Snapshot snapshot{meta, std::move(data)};
    Status s = storage::SqliteStorage::write_snapshot_file(dir, snapshot);
    if (s && !contexts_dir.empty()) {
      s = storage::SqliteContextStore::make_durable(contexts_dir);
    }
    if (!s) failure = s.error().describe();
  } catch (const std::exception& e) {
    failure = std::string("encoding the state: ") + e.what();
  }
  if (failure.empty()) ::_exit(0);
  // Best effort: the parent reads this when it reaps us.
  const char* p = failure.data();
  std::size_t left = failure.size();
  while (left > 0) {
    const ssize_t n = ::write(error_fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::_exit(1);
}

}  // namespace

Result<SnapshotFork> SnapshotFork::start(const state::StateMachine& state,
                                         consensus::SnapshotMeta meta,
                                         const std::string& dir,
                                         const std::string& contexts_dir) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return os_error("pipe2");
  const auto before = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const Error error = os_error("fork");
    ::close(fds[0]);
    ::close(fds[1]);
    return error;
  }
  if (pid == 0) {
    ::close(fds[0]);
    run_child(state, meta, dir, contexts_dir, fds[1]);
  }
  ::close(fds[1]);
  // Reading what the child wrote must never block the node thread.
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  SnapshotFork child(pid, fds[0], meta, dir);
  child.context_count_ = state.context_count();
  child.context_bytes_ = state.context_bytes();

  child.fork_ms_ =
      std::chrono::duration<double, std::milli>(child.started_ - before)
          .count();
  return child;
}

SnapshotFork::SnapshotFork(pid_t pid, int error_fd,
                           consensus::SnapshotMeta meta, std::string dir)
    : pid_(pid),
      error_fd_(error_fd),
      dir_(std::move(dir)),
      meta_(meta),
      started_(std::chrono::steady_clock::now()) {}

SnapshotFork::SnapshotFork(SnapshotFork&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      error_fd_(std::exchange(other.error_fd_, -1)),
      dir_(std::move(other.dir_)),

      reading_(std::move(other.reading_)),
      meta_(other.meta_),
      context_count_(other.context_count_),
      context_bytes_(other.context_bytes_),
      started_(other.started_),
      fork_ms_(other.fork_ms_) {}

SnapshotFork::~SnapshotFork() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (error_fd_ >= 0) ::close(error_fd_);
}

std::string SnapshotFork::read_error() {
  std::string out;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(error_fd_, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > 4096) break;
  }
  return out;
}

std::optional<Result<SnapshotFork::Written>> SnapshotFork::poll() {
  if (!reading_.valid()) {
    auto exited = poll_child();
    if (!exited) return std::nullopt;
    if (!*exited) return exited->error();
    const std::string path =
        storage::SqliteStorage::snapshot_file_path(dir_, meta_.last_index);
    // By value: this object may be moved while the thread runs.
    reading_ = std::async(std::launch::async, [path]() -> Result<Written> {
      auto data = storage::read_whole_file(path);
      if (!data) return data.error();
      Written written;
      written.crc = crc32c(*data);
      written.size = data->size();
      written.data = std::move(*data);
      return written;
    });
  }
  if (reading_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    return std::nullopt;
  }
  return reading_.get();
}

std::optional<Status> SnapshotFork::poll_child() {
  if (pid_ <= 0) return make_error(ErrorCode::internal, "no snapshot child");
  int status = 0;
  const pid_t got = ::waitpid(pid_, &status, WNOHANG);
  if (got == 0) return std::nullopt;
  if (got < 0) {
    if (errno == EINTR) return std::nullopt;
    pid_ = -1;
    return Status(os_error("waitpid"));
  }
  pid_ = -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ok_status();
  std::string why = read_error();
  if (why.empty()) {
    why = WIFSIGNALED(status)
              ? "killed by signal " + std::to_string(WTERMSIG(status))
              : "exit status " + std::to_string(WEXITSTATUS(status));
  }
  return make_error(ErrorCode::internal, "snapshot child: " + why);
}

}  // namespace slurp::node
