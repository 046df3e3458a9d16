// The append-only, hash-chained audit log of a node.
//
// One JSON object per line:
//   {"seq":1,"time_ms":...,"kind":"auth.refused","actor":"...",
//    "detail":"...","prev":"<64 hex>","hash":"<64 hex>"}
// `hash` is the hex SHA-256 of `prev` + "\n" + the line up to (not
// including) `,"hash"`; the first record's `prev` is 64 zeros. Editing,
// dropping or reordering any record breaks every later hash, which verify()
// reports with the line number. Each record is written with one write() and
// fdatasync'd before append() returns, so an acknowledged record survives a
// crash; a torn last line (crash mid-write) is reported by verify().
//
// Thread-safe: the ZAP thread and the node thread both append.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace slurp::security {

class AuditLog {
 public:
  // Opens (creating if needed) the log at `path` and resumes its chain.
  // Fails if the existing file does not verify.
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path);
  // Checks every record's chain; returns the number of records.
  static Result<std::uint64_t> verify(const std::string& path);

  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // kind: dotted event name ("auth.refused", "request.rejected", ...);
  // actor: the key name or public key; detail: free text.
  Status append(std::string_view kind, std::string_view actor,
                std::string_view detail);
  std::uint64_t records() const;

 private:
  AuditLog(int fd, std::string path, std::uint64_t seq, std::string last_hash);

  mutable std::mutex mutex_;
  int fd_;
  std::string path_;
  std::uint64_t seq_;
  std::string last_hash_;
};

}  // namespace slurp::security
