// The audit log's key files (PROTOCOL.md, "Audit log"):
// - the state file `audit.key` (0600) holds only the current epoch's key;
//   evolving it replaces the file and then overwrites the old one's bytes,
//   so the node never keeps an earlier epoch's key on disk or in memory;
// - the verification key `audit.verify-key` (0400) holds the chain's
//   epoch-0 key. The node writes it once, when a chain starts, and never
//   reads it; the operator moves it off the machine.
//
// Called by AuditLog at open and by its writer thread; no shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "protocol/result.h"
#include "src/security/audit_format.h"

namespace slurp::security::audit {

inline constexpr const char* kKeyFileName = "audit.key";
inline constexpr const char* kVerifyKeyFileName = "audit.verify-key";

struct KeyState {
  std::string chain;  // chain_id(k_0)
  std::uint64_t epoch = 0;
  Key key{};  // k_epoch
};

// nullopt (with `why`) if the file is missing or not a key state file.
std::optional<KeyState> load_key_state(const std::filesystem::path& file,
                                       std::string& why);
// Replaces `file` atomically (temp file, fsync, rename, fsync of the
// directory), then overwrites the replaced file's bytes with zeros so the
// previous key does not linger in its blocks (best effort: a copy-on-write
// filesystem or an SSD's remapping may still keep them).
Status store_key_state(const std::filesystem::path& file, const KeyState& s);

struct VerifyKey {
  std::string chain;
  Key k0{};
};
// Writes the chain's verification key into `dir`, as audit.verify-key, or
// audit.verify-key.<first 8 hex of the chain> if that name is taken (an
// earlier chain's key the operator has not moved yet). Returns its path.
Result<std::filesystem::path> write_verify_key(const std::filesystem::path& dir,
                                               const VerifyKey& key);
std::optional<VerifyKey> load_verify_key(const std::filesystem::path& file,
                                         std::string& why);

}  // namespace slurp::security::audit
