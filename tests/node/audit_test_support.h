// Helpers for the audit log tests: reading the log's lines and keys, and
// the tampering an attacker with write access would do.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "src/security/audit_format.h"
#include "src/security/audit_key.h"
#include "src/security/audit_verify.h"

namespace slurp::security::testing_audit {

namespace fs = std::filesystem;

inline std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

inline void write_lines(const fs::path& p,
                        const std::vector<std::string>& lines) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  for (const auto& l : lines) out << l << "\n";
}

inline std::vector<audit::ParsedRecord> parse_all(
    const std::vector<std::string>& lines) {
  std::vector<audit::ParsedRecord> out;
  std::string why;
  for (const auto& l : lines) {
    auto r = audit::parse_record(l, why);
    if (!r) throw std::runtime_error("unparsable: " + why + ": " + l);
    out.push_back(*r);
  }
  return out;
}

// Every verification key the node wrote into `dir`.
inline std::vector<audit::VerifyKey> verify_keys(const fs::path& dir) {
  std::vector<audit::VerifyKey> keys;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(audit::kVerifyKeyFileName, 0) != 0) continue;
    std::string why;
    if (auto k = audit::load_verify_key(e.path(), why)) keys.push_back(*k);
  }
  return keys;
}

// What an attacker without keys does after editing: renumber seq from 1
// and recompute the public hash chain so the structure checks pass again.
inline std::vector<std::string> rechain(std::vector<std::string> lines) {
  std::string prev = audit::kZeroHex;
  std::uint64_t seq = 0;
  for (auto& line : lines) {
    const auto prev_at = line.find(",\"prev\":\"");
    const auto hash_at = line.find(",\"hash\":\"");
    const auto seq_end = line.find(',');
    std::string body = "{\"seq\":" + std::to_string(++seq) +
                       line.substr(seq_end, prev_at - seq_end) +
                       ",\"prev\":\"" + prev + "\"";
    const std::string hash = audit::sha256_hex(prev + "\n" + body);
    const auto mac_at = line.find(",\"mac\":\"");
    line = body + ",\"hash\":\"" + hash + "\"" + line.substr(mac_at);
    (void)hash_at;
    prev = hash;
  }
  return lines;
}

inline AuditVerifyReport verify(const fs::path& log,
                                const std::vector<audit::VerifyKey>& keys,
                                const std::vector<AuditAnchor>& anchors = {}) {
  auto r = verify_audit_log(log.string(), keys, anchors);
  if (!r) throw std::runtime_error(r.error().describe());
  return *r;
}

}  // namespace slurp::security::testing_audit
