// Verifying an audit log file (format: audit_format.h and PROTOCOL.md,
// "Audit log"). Used by `slurpctl audit verify` and by tests; reads only
// the file and the keys it is given, no cluster connection.
//
// What it can prove depends on what it is given, and describe() says so:
// - nothing: the structure (every line a record, seq and the public hash
//   chain continuous); anyone with write access can rewrite a file so it
//   still passes;
// - a chain's verification key (its epoch-0 key, kept off the node): the
//   MAC of every record of that chain. Records up to the chain's last
//   epoch seal cannot have been altered, inserted, removed or reordered by
//   anyone, the node included; records of the last epoch can have been
//   rewritten by someone holding that epoch's key (root on the node now);
//   any tail can have been cut;
// - anchors (seq, mac) attested by the replicated log: the file must hold
//   each, so it was not cut before the highest.
//
// Pure apart from reading the files; callable from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/result.h"
#include "src/security/audit_key.h"

namespace slurp::security {

struct AuditAnchor {
  std::uint64_t seq = 0;
  std::string mac;  // 64 lowercase hex
};

struct AuditChainReport {
  std::string id;
  std::string started_by;  // audit.chain_started or audit.key_lost
  std::string reason;      // the start record's detail
  std::uint64_t first_line = 0, first_seq = 0, last_seq = 0;
  std::uint64_t epoch_max = 0;
  std::uint64_t last_seal_seq = 0;  // 0: no epoch of it ended
  std::uint64_t last_seal_epoch = 0;
  bool keyed = false;  // MACs checked with its key
};

struct AuditVerifyReport {
  std::string path;
  bool intact = true;
  std::uint64_t bad_line = 0;  // 1-based; 0 if intact
  std::string problem;
  std::uint64_t records = 0;
  std::uint64_t first_time_ms = 0, last_time_ms = 0;
  std::vector<AuditChainReport> chains;
  std::uint64_t anchors_checked = 0, anchor_seq_max = 0;
  std::vector<std::string> notes;  // records worth a reader's attention
  std::vector<std::string> unused_keys;
};

// Verifies `path` with the given chains' verification keys and anchors.
// An error only if the file cannot be read; tampering is in the report.
Result<AuditVerifyReport> verify_audit_log(
    const std::string& path, const std::vector<audit::VerifyKey>& keys,
    const std::vector<AuditAnchor>& anchors);

// What was checked and what that proves, for a human, several lines.
std::string describe(const AuditVerifyReport& report);

}  // namespace slurp::security
