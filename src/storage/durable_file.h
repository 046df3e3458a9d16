// Small POSIX helpers for files that must survive a crash: the snapshot
// files next to raft.db. Every call reports the path and strerror(errno).
//
// Pure functions over the file system; any thread, but callers must not
// race on the same path.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "protocol/field_codec.h"
#include "protocol/result.h"

namespace slurp::storage {

// Writes `data` to dir/name atomically and durably: dir/tmp_name is
// written and fsynced, renamed over dir/name, then dir is fsynced so the
// rename itself survives a power loss. A crash leaves either the old file
// (plus a stray tmp_name) or the new one, never a mix.
Status write_file_durably(const std::string& dir, const std::string& tmp_name,
                          const std::string& name, const Bytes& data);

// write_file_durably for data produced piece by piece (a snapshot of a
// store larger than what should be held in memory): append() writes at
// once (flushing every few MB, as write_file_durably does), finish() syncs
// and renames. Destroyed unfinished, it removes the temporary file.
// Keeps the running crc32c of what was appended.
class DurableFileWriter {
 public:
  static Result<std::unique_ptr<DurableFileWriter>> open(
      const std::string& dir, const std::string& tmp_name,
      const std::string& name);
  ~DurableFileWriter();
  DurableFileWriter(const DurableFileWriter&) = delete;
  DurableFileWriter& operator=(const DurableFileWriter&) = delete;
  Status append(std::span<const std::uint8_t> bytes);
  Status finish();
  std::uint64_t size() const { return size_; }
  std::uint32_t crc() const { return crc_; }

 private:
  DurableFileWriter(std::string dir, std::string tmp_path,
                    std::string final_path, int fd);
  std::string dir_, tmp_path_, final_path_;
  int fd_;
  std::uint64_t size_ = 0;
  std::uint64_t unflushed_ = 0;
  std::uint32_t crc_ = 0;
  bool finished_ = false;
};

// fsync of the directory itself: makes created, renamed and removed names
// durable.
Status sync_directory(const std::string& dir);

// The whole file; errors when it is missing or unreadable.
Result<Bytes> read_whole_file(const std::string& path);
// crc32c and size of a file, read a few MB at a time.
struct FileSum {
  std::uint64_t size = 0;
  std::uint32_t crc = 0;
};
Result<FileSum> sum_file(const std::string& path);

}  // namespace slurp::storage
