#include "src/storage/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace slurp::storage {

Result<std::shared_ptr<const SnapshotFile>> SnapshotFile::open(
    const std::string& path, std::uint64_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorCode::internal,
                      "open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) != size) {
    ::close(fd);
    return make_error(ErrorCode::internal,
                      "snapshot file " + path + " is not " +
                          std::to_string(size) + " bytes long");
  }
  return std::shared_ptr<const SnapshotFile>(new SnapshotFile(path, fd, size));
}

SnapshotFile::SnapshotFile(std::string path, int fd, std::uint64_t size)
    : path_(std::move(path)), fd_(fd), size_(size) {}

SnapshotFile::~SnapshotFile() {
  ::close(fd_);
}

Result<Bytes> SnapshotFile::read(std::uint64_t offset, std::size_t n) const {
  Bytes out(n);
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, out.data() + done, n - done,
                                static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return make_error(ErrorCode::internal,
                        "read " + path_ + " at " +
                            std::to_string(offset + done) + ": " +
                            (got < 0 ? std::strerror(errno) : "end of file"));
    }
    done += static_cast<std::size_t>(got);
  }
  return out;
}

Result<consensus::SnapshotData> snapshot_data_in_file(const std::string& path,
                                                      std::uint64_t size) {
  auto file = SnapshotFile::open(path, size);
  if (!file) return file.error();
  return consensus::SnapshotData(
      std::shared_ptr<const consensus::SnapshotSource>(std::move(*file)));
}

}  // namespace slurp::storage
