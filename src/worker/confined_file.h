// Reading a job's file_path the way PROTOCOL.md's "file_path confinement"
// promises: only a regular file under one of the operator's roots
// (src/config/file_roots.h), resolved beneath the root's directory
// without following a link out of it, its size checked before a byte is
// read, read in chunks with a deadline and an interrupt (cancel, SIGTERM)
// checked between them.
//
// How it opens: the path must lie lexically under a root; the rest is
// resolved with openat2(root_fd, rest, RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS), so "..", absolute symlinks and symlinks that
// leave the root fail (symlinks that stay inside it work). On a kernel
// without openat2 (ENOSYS, before Linux 5.6) it walks the components with
// O_PATH | O_NOFOLLOW instead and refuses every symlink. It first opens
// with O_PATH (which opens no device and waits on no FIFO), checks with
// fstat that the target is a regular file, and only then opens it for
// reading (O_NONBLOCK, O_NOCTTY) and checks it is the same inode.
//
// Every refusal (missing, outside the roots, a link out, not a regular
// file, unreadable, no roots at all) is the same error, not_found with
// kFileRefused, so a requester cannot tell which files exist; the real
// cause goes to the worker's log at debug level.
//
// Stateless; any thread, several at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/limits.h"
#include "protocol/result.h"
#include "src/worker/interrupt.h"

namespace slurp::worker {

// The one reason every refused file_path gets (with field file_path: the
// result's error reads "not_found: file_path: not a readable ...").
inline constexpr std::string_view kFileRefused =
    "not a readable regular file under the worker's roots";

struct ConfinedReadOptions {
  std::vector<std::string> roots;  // checked by config::file_roots_problem
  // A file bigger than this is not read at all (FileRead::over_limit).
  std::size_t bytes_max = limits::content_bytes_max;
  std::uint64_t timeout_ms = limits::file_read_timeout_ms;
  // false: always the O_PATH walk (tests of the fallback).
  bool use_openat2 = true;
};

struct FileRead {
  std::string bytes;  // the whole file as read; empty when over_limit
  // fstat's size when opened. At most this many bytes are read: a file
  // that grows meanwhile is cut there, one that shrinks ends early.
  std::uint64_t size = 0;
  bool over_limit = false;  // size > bytes_max: nothing was read
};

// Errors: not_found with kFileRefused (field file_path) for every refusal;
// timeout when the read took over timeout_ms; unavailable ("interrupted")
// when `interrupt` fired between two chunks; internal when a read(2)
// failed after the file was opened.
Result<FileRead> read_confined(const ConfinedReadOptions& options,
                               std::string_view path,
                               const Interrupt& interrupt = {});

}  // namespace slurp::worker
