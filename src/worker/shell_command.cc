#include "src/worker/shell_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <utility>

extern char** environ;

namespace slurp::worker {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kChunkBytes = 64 * 1024;
// Without a pidfd (old kernels, some sandboxes) the child's exit is
// polled this often.
constexpr int kExitPollMs = 10;

// A pidfd (readable once the process exits), or -1. Through syscall():
// glibc 2.36's <sys/pidfd.h> lacks C linkage for C++.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

std::string os_error(std::string_view what, int error) {
  return std::string(what) + ": " + std::system_category().message(error);
}

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  UniqueFd read, write;
};

// Close-on-exec from birth (pipe2), so a command another thread starts
// meanwhile never inherits our ends and holds them open.
Result<Pipe> make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return make_error(ErrorCode::internal, os_error("pipe", errno));
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) (void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Blocks SIGPIPE in this thread while we write to a command's stdin, and
// consumes the one a closed pipe raised: the worker must not die of a
// command that ignores its input, and the process-wide disposition stays
// as it was.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    if (!sigismember(&old_, SIGPIPE) && sigpending(&pending) == 0 &&
        sigismember(&pending, SIGPIPE)) {
      const timespec zero{0, 0};
      (void)sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_, old_;
};

// Our child, the leader of its own process group. Always reaped, on every
// path (the destructor kills the group first when nobody did).
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (!reaped_) {
      kill_group();
      (void)reap();
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // While the child is unreaped its pid cannot be reused, so the group is
  // still ours to kill.
  void kill_group() const { (void)::kill(-pid_, SIGKILL); }
  // Exited, but left a zombie (WNOWAIT) so that kill_group stays safe.
  bool exited() const {
    siginfo_t info{};
    return waitid(P_PID, static_cast<id_t>(pid_), &info,
                  WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pid_;
  }
  int reap() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_;
  bool reaped_ = false;
};

// The worker's environment with `extra` added (an extra entry replaces
// one of the same name).
std::vector<std::string> merged_environment(
    const std::vector<std::string>& extra) {
  auto name_of = [](std::string_view entry) {
    return entry.substr(0, entry.find('='));
  };
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool replaced = std::any_of(
        extra.begin(), extra.end(),
        [&](const std::string& x) { return name_of(x) == name_of(entry); });
    if (!replaced) out.emplace_back(entry);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

// posix_spawn (vfork-like, safe in a threaded process): the three pipe
// ends on 0, 1, 2 and every other descriptor closed, signals at their
// defaults and unblocked, a new process group.
Result<pid_t> spawn(const ShellCommand& command, int in, int out, int err) {
  std::vector<std::string> env = merged_environment(command.environment);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "sh", dash_c = "-c", text = command.command;
  char* argv[] = {sh.data(), dash_c.data(), text.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(
      &attributes,
      static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                         POSIX_SPAWN_SETSIGDEF));
  pid_t pid = -1;
  const int rc =
      posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return make_error(ErrorCode::internal, os_error("cannot run /bin/sh", rc));
  }
  return pid;
}

// One run: feeds stdin, drains stdout and stderr, watches the child and
// the deadline, all from one poll loop.
class Session {
 public:
  Session(const ShellCommand& command, Child& child, UniqueFd in, UniqueFd out,
          UniqueFd err)
      : command_(command),
        child_(child),
        in_(std::move(in)),
        out_(std::move(out)),
        err_(std::move(err)),
        pidfd_(open_pidfd(child.pid())) {
    if (command_.input.empty()) in_.reset();
  }

  ShellOutcome run() {
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(command_.timeout_ms);
    while (true) {
      if (!exited_ && child_.exited()) {
        exited_ = true;
        child_.kill_group();  // whatever it left running in its group
        in_.reset();
      }
      if (exited_ && !out_.is_open() && !err_.is_open()) break;
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return killed(ShellOutcome::End::timed_out);
      if (command_.interrupt.requested()) {
        return killed(ShellOutcome::End::interrupted);
      }
      int wait_ms = static_cast<int>(
          std::min<std::int64_t>(left.count(), kInterruptPollMs));
      if (!exited_ && !pidfd_.is_open()) {
        wait_ms = std::min(wait_ms, kExitPollMs);
      }
      if (!pump(wait_ms)) return killed(ShellOutcome::End::output_over);
    }
    return finished(child_.reap());
  }

 private:
  // One poll round; false when stdout went over its bound.
  bool pump(int wait_ms) {
    std::array<pollfd, 4> fds{};
    nfds_t n = 0;
    auto watch = [&](const UniqueFd& fd, short events) {
      if (fd.is_open()) fds[n++] = pollfd{fd.get(), events, 0};
    };
    watch(in_, POLLOUT);
    watch(out_, POLLIN);
    watch(err_, POLLIN);
    if (!exited_) watch(pidfd_, POLLIN);
    if (poll(fds.data(), n, wait_ms) < 0) return true;  // EINTR: go round
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_.get()) write_input();
      if (fds[i].fd == out_.get()) read_into(out_, out_bytes_);
      if (fds[i].fd == err_.get()) read_stderr();
    }
    return out_bytes_.size() <= command_.stdout_bytes_max;
  }

  void write_input() {
    const std::string_view rest = command_.input.substr(written_);
    const ssize_t n =
        ::write(in_.get(), rest.data(), std::min(rest.size(), kChunkBytes));
    if (n > 0) written_ += static_cast<std::size_t>(n);
    // EPIPE: the command does not want (the rest of) its input.
    if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
        written_ == command_.input.size()) {
      in_.reset();
    }
  }

  // Appends what `fd` has to `into`; closes it at EOF.
  void read_into(UniqueFd& fd, std::string& into) {
    buffer_.resize(kChunkBytes);
    const ssize_t n = ::read(fd.get(), buffer_.data(), buffer_.size());
    if (n > 0) {
      into.append(buffer_.data(), static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      fd.reset();
    }
  }

  void read_stderr() {
    read_into(err_, err_bytes_);
    const std::size_t keep = command_.stderr_bytes_max;
    if (err_bytes_.size() > 2 * keep) {
      err_bytes_.erase(0, err_bytes_.size() - keep);
    }
  }

  ShellOutcome killed(ShellOutcome::End end) {
    child_.kill_group();
    (void)child_.reap();
    ShellOutcome outcome;
    outcome.end = end;
    outcome.err_tail = tail();
    return outcome;
  }

  ShellOutcome finished(int status) {
    ShellOutcome outcome;
    if (WIFSIGNALED(status)) {
      outcome.end = ShellOutcome::End::signalled;
      outcome.status = WTERMSIG(status);
    } else {
      outcome.status = WEXITSTATUS(status);
    }
    outcome.out = std::move(out_bytes_);
    outcome.err_tail = tail();
    return outcome;
  }

  std::string tail() const {
    const std::size_t keep = command_.stderr_bytes_max;
    return err_bytes_.size() <= keep
               ? err_bytes_
               : err_bytes_.substr(err_bytes_.size() - keep);
  }

  const ShellCommand& command_;
  Child& child_;
  UniqueFd in_, out_, err_;
  UniqueFd pidfd_;  // -1 when the kernel has none: exits are polled
  bool exited_ = false;
  std::size_t written_ = 0;
  std::string out_bytes_, err_bytes_, buffer_;
};

}  // namespace

Result<ShellOutcome> run_shell_command(const ShellCommand& command) {
  auto in = make_pipe();
  if (!in) return in.error();
  auto out = make_pipe();
  if (!out) return out.error();
  auto err = make_pipe();
  if (!err) return err.error();
  set_nonblocking(in->write.get());
  set_nonblocking(out->read.get());
  set_nonblocking(err->read.get());
  SigpipeBlock sigpipe_blocked;
  auto pid = spawn(command, in->read.get(), out->write.get(), err->write.get());
  if (!pid) return pid.error();
  Child child(*pid);
  // The child's ends live on in the child only: EOF on stdout and stderr
  // then means the command (and all it started) closed them.
  in->read.reset();
  out->write.reset();
  err->write.reset();
  Session session(command, child, std::move(in->write), std::move(out->read),
                  std::move(err->read));
  return session.run();
}

}  // namespace slurp::worker
