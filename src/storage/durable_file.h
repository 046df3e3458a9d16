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
