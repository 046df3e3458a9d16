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
#include <filesystem>
#include <utility>

#include "protocol/crc32c.h"
#include "src/state/snapshot_frames.h"
#include "src/storage/context_reader.h"
#include "src/storage/durable_file.h"
#include "src/storage/snapshot_file.h"
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

std::string core_file_path(const std::string& dir, std::uint64_t index) {
  // Ends in .tmp: SqliteStorage's sweep removes it if we crash.
  return dir + "/snapshot-" + std::to_string(index) + ".core.tmp";
}

Status write_plain_file(const std::string& path, const Bytes& data) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return os_error("open " + path);
  const std::uint8_t* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const Error error = os_error("write " + path);
      ::close(fd);
      return error;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return os_error("close " + path);
  return ok_status();
}

// On the helper thread, once the child wrote the core: the contexts as of
// the snapshot's index from contexts.db, through a connection of this
// thread's own (the parent committed up to that index before forking, and
// what it writes later has higher indexes and is not read). Then
// contexts.db is fsynced, because the log up to the index is about to be
// dropped and nothing it wrote may be lost; then the file is written.
Result<SnapshotFork::Written> complete_with_contexts(
    const std::string& dir, const std::string& contexts_dir,
    const consensus::SnapshotMeta& meta, std::uint64_t context_count) {
  const std::string core_path = core_file_path(dir, meta.last_index);
  auto core = storage::read_whole_file(core_path);
  std::error_code ignored;
  std::filesystem::remove(core_path, ignored);
  if (!core) return core.error();
  const std::string name = "snapshot-" + std::to_string(meta.last_index);
  // Streamed to the file: a store's worth of contexts is never in memory.
  auto out =
      storage::DurableFileWriter::open(dir, name + ".tmp", name + ".bin");
  if (!out) return out.error();
  if (Status s = (*out)->append(*core); !s) return s.error();
  auto reader = storage::ContextReader::open(contexts_dir);
  if (!reader) return reader.error();
  std::uint64_t count = 0;
  Status s = (*reader)->each_as_of(
      meta.last_index, [&](std::span<const std::uint8_t> record) {
        ++count;
        const auto header = state::frame_header(record.size());
        if (Status h = (*out)->append(header); !h) return h;
        return (*out)->append(record);
      });
  if (!s) return s.error();
  if (count != context_count) {
    return make_error(
        ErrorCode::internal,
        "contexts.db holds " + std::to_string(count) + " contexts at index " +
            std::to_string(meta.last_index) + ", the state counts " +
            std::to_string(context_count));
  }
  if (Status d = storage::SqliteContextStore::make_durable(contexts_dir); !d) {
    return d.error();
  }
  if (Status f = (*out)->finish(); !f) return f.error();
  auto data = storage::snapshot_data_in_file(
      storage::SqliteStorage::snapshot_file_path(dir, meta.last_index),
      (*out)->size());
  if (!data) return data.error();
  return SnapshotFork::Written{std::move(*data), (*out)->size(), (*out)->crc()};
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
    // With contexts.db, only the core: SQLite is not used across a fork
    // (another thread of the parent may hold its locks), so the parent's
    // helper thread adds the contexts (complete_with_contexts).
    if (!contexts_dir.empty()) {
      Bytes core;
      state::append_frame(core, state.core_snapshot());
      if (Status s =
              write_plain_file(core_file_path(dir, meta.last_index), core);
          !s) {
        failure = s.error().describe();
      }
    } else {
      consensus::Snapshot snapshot{meta, state.snapshot()};
      if (Status s = storage::SqliteStorage::write_snapshot_file(dir, snapshot);
          !s) {
        failure = s.error().describe();
      }
    }
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
  child.contexts_dir_ = contexts_dir;
  child.context_count_ = state.context_count();
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
      contexts_dir_(std::move(other.contexts_dir_)),
      context_count_(other.context_count_),
      reading_(std::move(other.reading_)),
      meta_(other.meta_),
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
    reading_ = std::async(
        std::launch::async,
        [path, dir = dir_, contexts_dir = contexts_dir_, meta = meta_,
         count = context_count_]() -> Result<Written> {
          // Reading a store's worth of contexts and writing it out must not
          // take CPU or disk from the node thread: lowest priority, like the
          // child (per thread on Linux).
          (void)::setpriority(PRIO_PROCESS,
                              static_cast<id_t>(::syscall(SYS_gettid)),
                              kChildNice);
          (void)::syscall(SYS_ioprio_set, kIoprioWhoProcess,
                          static_cast<int>(::syscall(SYS_gettid)),
                          kIoprioLowest);
          if (!contexts_dir.empty()) {
            return complete_with_contexts(dir, contexts_dir, meta, count);
          }
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
