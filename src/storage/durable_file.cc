#include "src/storage/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "protocol/crc32c.h"

namespace slurp::storage {
namespace {

Error io_error(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::internal,
                    what + " " + path + ": " + std::strerror(errno));
}

// Owns a file descriptor; closing is checked by close_checked() where a
// failed close could hide a lost write.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int close_checked() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// Writes in pieces, each flushed before the next: one fsync of tens of MB
// at the end made the nodes' own WAL fsyncs wait behind it (ext4 commits
// its journal for everyone), long enough for a leader to miss heartbeats.
// Flushing every few MB spreads that wait thin, as Redis does with
// rdb-save-incremental-fsync.
constexpr std::size_t kFlushEveryBytes = 4u << 20;

Status write_all(int fd, const Bytes& data, const std::string& path) {
  std::size_t done = 0;
  std::size_t unflushed = 0;
  while (done < data.size()) {
    const std::size_t want = std::min(data.size() - done, kFlushEveryBytes);
    ssize_t n = ::write(fd, data.data() + done, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path);
    }
    done += static_cast<std::size_t>(n);
    unflushed += static_cast<std::size_t>(n);
    if (unflushed >= kFlushEveryBytes && done < data.size()) {
      if (::fdatasync(fd) != 0) return io_error("fdatasync", path);
      unflushed = 0;
    }
  }
  return ok_status();
}

}  // namespace

Status write_file_durably(const std::string& dir, const std::string& tmp_name,
                          const std::string& name, const Bytes& data) {
  const std::string final_path = dir + "/" + name;
  const std::string tmp_path = dir + "/" + tmp_name;
  Fd fd(
      ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return io_error("open", tmp_path);
  if (auto s = write_all(fd.get(), data, tmp_path); !s) return s;
  if (::fsync(fd.get()) != 0) return io_error("fsync", tmp_path);
  if (fd.close_checked() != 0) return io_error("close", tmp_path);
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    return io_error("rename to " + final_path, tmp_path);
  }
  return sync_directory(dir);
}

Status sync_directory(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open directory", dir);
  if (::fsync(fd.get()) != 0) return io_error("fsync directory", dir);
  return ok_status();
}

Result<Bytes> read_whole_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("stat", path);
  Bytes data(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("read", path);
    }
    if (n == 0) break;  // shrank while reading: report what is there
    done += static_cast<std::size_t>(n);
  }
  data.resize(done);
  return data;
}

Result<FileSum> sum_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open", path);
  Bytes buffer(kFlushEveryBytes);
  FileSum sum;
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("read", path);
    }
    if (n == 0) return sum;
    sum.crc =
        crc32c(std::span(buffer.data(), static_cast<std::size_t>(n)), sum.crc);
    sum.size += static_cast<std::uint64_t>(n);
  }
}

}  // namespace slurp::storage
