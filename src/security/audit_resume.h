// How an AuditLog continues the file it opens: from the log's last lines
// and the key state file, decide whether the chain resumes (evolving the
// stored key forward to the log's epoch if it is behind) or a new chain
// must start, and cut a torn last line left by a crash mid-write.
//
// Called by AuditLog::open only, before its writer thread starts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "protocol/result.h"
#include "src/security/audit_format.h"
#include "src/security/audit_key.h"

namespace slurp::security::audit {

struct ResumePlan {
  ChainLink link;                  // what the next record chains to
  std::uint64_t file_bytes = 0;    // size after cutting a torn tail
  std::uint64_t last_time_ms = 0;  // of the log's last record
  std::uint64_t last_epoch = 0;
  // Set when the chain resumes: the key of `key->epoch`, the epoch the
  // next record belongs to.
  std::optional<KeyState> key;
  // The key state file must be rewritten for `key` (it was behind).
  bool store_key = false;
  // Records in the resumed epoch so far: unknown after a restart, so 1 if
  // the epoch has any (it then ends on time), 0 if it just began.
  std::uint64_t epoch_records = 0;
  // Set when a new chain must start: its first record's kind and why.
  std::string new_chain_kind;
  std::string new_chain_reason;
  // Non-empty if a torn last line was cut: what to record about it.
  std::string torn_detail;
};

// Reads the end of the log open as `fd` (cutting a torn last line) and the
// key state at `key_file`. Errors only for I/O on the log.
Result<ResumePlan> plan_resume(int fd, const std::filesystem::path& key_file);

}  // namespace slurp::security::audit
