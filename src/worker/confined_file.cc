#include "src/worker/confined_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "src/config/file_roots.h"

namespace slurp::worker {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// A refusal: the real cause in the worker's log (debug: a requester can
// make many), the same words for the requester whatever it was.
Error refused(std::string_view path, std::string_view cause, int error = 0) {
  spdlog::debug("file_path {:?} refused: {}{}{}", path, cause,
                error ? ": " : "", error ? std::strerror(error) : "");
  return make_error(ErrorCode::not_found, std::string(kFileRefused),
                    "file_path");
}

// openat2 through syscall(): glibc 2.36 has no wrapper. -1 with errno set.
int open_beneath(int root_fd, const std::string& relative,
                 std::uint64_t flags) {
  open_how how{};
  how.flags = flags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int tries = 0;; ++tries) {
    const long fd =
        ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
    // EAGAIN: a rename raced the lookup; the kernel asks us to try again.
    if (fd >= 0 || errno != EAGAIN || tries == 8) return static_cast<int>(fd);
  }
}

// The fallback for kernels without openat2: one component at a time, no
// symlink followed anywhere (O_NOFOLLOW on each; O_PATH opens nothing).
// ".." cannot occur: split_under_roots refused it.
int walk_beneath(int root_fd, const std::string& relative, int last_flags) {
  Fd dir(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!dir.ok()) return -1;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = relative.find('/', start);
    const std::string part = relative.substr(start, slash - start);
    if (slash == std::string::npos) {
      return ::openat(dir.get(), part.c_str(), last_flags | O_NOFOLLOW);
    }
    Fd next(::openat(dir.get(), part.c_str(),
                     O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.ok()) return -1;
    dir = std::move(next);
    start = slash + 1;
  }
}

std::atomic<bool> openat2_missing{false};

// Opens `relative` beneath `root_fd` with `flags`; -1 with errno set.
int open_confined(int root_fd, const std::string& relative, int flags,
                  bool use_openat2) {
  if (use_openat2 && !openat2_missing.load()) {
    const int fd =
        open_beneath(root_fd, relative, static_cast<std::uint64_t>(flags));
    if (fd >= 0 || errno != ENOSYS) return fd;
    openat2_missing.store(true);
    spdlog::warn(
        "openat2 is not available (Linux before 5.6?): file_path is "
        "resolved component by component and no symlink is followed");
  }
  return walk_beneath(root_fd, relative, flags);
}

// The opened file, checked to be a regular file; or a refusal.
Result<std::pair<Fd, struct stat>> open_regular(
    const ConfinedReadOptions& options, std::string_view path) {
  auto rooted = config::split_under_roots(options.roots, path);
  if (!rooted) return refused(path, "not under any root");
  const std::string& root = options.roots[rooted->root];
  Fd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.ok()) return refused(path, "cannot open root " + root, errno);
  // O_PATH first: a FIFO, a device or a socket is looked at, never opened.
  Fd probe(open_confined(root_fd.get(), rooted->relative, O_PATH | O_CLOEXEC,
                         options.use_openat2));
  if (!probe.ok()) return refused(path, "cannot resolve beneath root", errno);
  struct stat seen {};
  if (::fstat(probe.get(), &seen) != 0) return refused(path, "fstat", errno);
  if (!S_ISREG(seen.st_mode)) return refused(path, "not a regular file");
  Fd file(open_confined(root_fd.get(), rooted->relative,
                        O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                        options.use_openat2));
  if (!file.ok()) return refused(path, "cannot open for reading", errno);
  struct stat opened {};
  if (::fstat(file.get(), &opened) != 0) return refused(path, "fstat", errno);
  // Replaced between the two opens: whatever it is now, it was not checked.
  if (!S_ISREG(opened.st_mode) || opened.st_dev != seen.st_dev ||
      opened.st_ino != seen.st_ino) {
    return refused(path, "replaced while being opened");
  }
  return std::pair<Fd, struct stat>(std::move(file), opened);
}

}  // namespace

Result<FileRead> read_confined(const ConfinedReadOptions& options,
                               std::string_view path,
                               const Interrupt& interrupt) {
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(options.timeout_ms);
  auto opened = open_regular(options, path);
  if (!opened) return opened.error();
  const int fd = opened->first.get();
  FileRead out;
  out.size =
      static_cast<std::uint64_t>(std::max<off_t>(opened->second.st_size, 0));
  if (out.size > options.bytes_max) {
    out.over_limit = true;
    return out;
  }
  out.bytes.resize(static_cast<std::size_t>(out.size));
  std::size_t got = 0;
  while (got < out.bytes.size()) {
    if (interrupt.requested()) {
      return make_error(ErrorCode::unavailable,
                        "interrupted: the job was cancelled or the worker "
                        "is stopping");
    }
    if (Clock::now() >= deadline) {
      return make_error(ErrorCode::timeout,
                        "reading file_path took over " +
                            std::to_string(options.timeout_ms) + " ms");
    }
    const std::size_t want =
        std::min(out.bytes.size() - got, limits::file_read_chunk_bytes);
    const ssize_t n = ::read(fd, out.bytes.data() + got, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return make_error(
          ErrorCode::internal,
          std::string("reading file_path failed: ") + std::strerror(errno));
    }
    if (n == 0) break;  // it shrank
    got += static_cast<std::size_t>(n);
  }
  out.bytes.resize(got);
  return out;
}

}  // namespace slurp::worker
