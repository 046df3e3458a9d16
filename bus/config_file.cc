#include "bus/config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace slurp::bus {

namespace {

Error os_error(const std::filesystem::path& path, std::string_view what,
               int error_number) {
  ErrorCode code =
      error_number == ENOENT ? ErrorCode::not_found : ErrorCode::internal;
  return make_error(code,
                    std::string(what) + ": " + std::strerror(error_number),
                    path.string());
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Closes on scope exit; close errors on a read-only descriptor carry no news.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Status check_file_status(const std::filesystem::path& path,
                         const struct stat& status,
                         const FileReadRules& rules) {
  if (!S_ISREG(status.st_mode)) {
    return make_error(ErrorCode::bad_request, "not a regular file",
                      path.string());
  }
  mode_t forbidden = status.st_mode & rules.forbidden_mode_bits;
  if (forbidden != 0) {
    return make_error(ErrorCode::bad_request,
                      "permissions " + octal_mode(status.st_mode) +
                          " are too open (group/others may access it); run: "
                          "chmod " +
                          octal_mode(rules.suggested_mode).substr(1) + " " +
                          path.string(),
                      path.string());
  }
  if (static_cast<std::uint64_t>(status.st_size) > rules.bytes_max) {
    return make_error(ErrorCode::too_large,
                      "file has " + std::to_string(status.st_size) +
                          " bytes, limit is " + std::to_string(rules.bytes_max),
                      path.string());
  }
  return ok_status();
}

Status write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::internal, std::strerror(errno));
    }
    content.remove_prefix(static_cast<std::size_t>(written));
  }
  return ok_status();
}

}  // namespace

Result<std::string> read_config_file(const std::filesystem::path& path,
                                     const FileReadRules& rules) {
  // O_NONBLOCK: opening a FIFO planted at the path must not hang the node;
  // fstat below then refuses it as not a regular file.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return os_error(path, "cannot open", errno);
  // fstat on the open descriptor, not stat on the name: the checks apply to
  // exactly the file that is read.
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) {
    return os_error(path, "cannot stat", errno);
  }
  Status checked = check_file_status(path, status, rules);
  if (!checked) return checked.error();

  std::string content;
  char buffer[4096];
  for (;;) {
    ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      return os_error(path, "cannot read", errno);
    }
    if (got == 0) break;
    content.append(buffer, static_cast<std::size_t>(got));
    // The file may grow between fstat and read; the limit still holds.
    if (content.size() > rules.bytes_max) {
      return make_error(
          ErrorCode::too_large,
          "file is over " + std::to_string(rules.bytes_max) + " bytes",
          path.string());
    }
  }
  return content;
}

Status write_new_file(const std::filesystem::path& path,
                      std::string_view content, mode_t mode) {
  FileDescriptor fd(::open(path.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                           mode));
  if (fd.get() < 0) {
    if (errno == EEXIST) {
      return make_error(ErrorCode::conflict,
                        "already exists; refusing to overwrite it",
                        path.string());
    }
    return os_error(path, "cannot create", errno);
  }
  auto fail = [&](Error error) -> Status {
    ::close(fd.release());
    ::unlink(path.c_str());
    error.field = path.string();
    return error;
  };
  if (::fchmod(fd.get(), mode) != 0) {
    return fail(make_error(ErrorCode::internal, std::strerror(errno)));
  }
  Status written = write_all(fd.get(), content);
  if (!written) return fail(written.error());
  if (::fsync(fd.get()) != 0) {
    return fail(make_error(ErrorCode::internal,
                           std::string("fsync: ") + std::strerror(errno)));
  }
  if (::close(fd.release()) != 0) {
    int error_number = errno;
    ::unlink(path.c_str());
    return os_error(path, "close", error_number);
  }
  return ok_status();
}

Status sync_directory(const std::filesystem::path& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return os_error(dir, "cannot open directory", errno);
  if (::fsync(fd.get()) != 0) return os_error(dir, "fsync", errno);
  return ok_status();
}

}  // namespace slurp::bus
