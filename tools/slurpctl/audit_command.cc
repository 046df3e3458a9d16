// slurpctl audit verify FILE [--key VERIFY_KEY ...] [--anchor SEQ:MAC ...]
// [--cluster --node NODE_ID]: checks a node's audit log file and says what
// the check proves (src/security/audit_verify.h; PROTOCOL.md "Audit log");
// with --cluster also against the anchor the replicated log holds for the
// node (audit_cluster.cc). Its own exit codes, like cmp(1): 0 intact,
// 1 tampering or damage found, 2 usage (bad flags, unreadable file or
// key), 3 --cluster and no anchor could be had.
#include <charconv>
#include <iostream>

#include "src/security/audit_verify.h"
#include "tools/slurpctl/commands.h"

namespace slurpctl {
namespace {

constexpr int kAuditIntact = 0;
constexpr int kAuditTampered = 1;
constexpr int kAuditUsage = 2;
constexpr int kAuditNoAnchor = 3;  // --cluster: no anchor to check against

std::optional<slurp::security::AuditAnchor> parse_anchor(
    const std::string& text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  slurp::security::AuditAnchor a;
  const char* begin = text.data();
  auto [end, ec] = std::from_chars(begin, begin + colon, a.seq);
  if (ec != std::errc() || end != begin + colon || a.seq == 0) {
    return std::nullopt;
  }
  a.mac = text.substr(colon + 1);
  if (a.mac.size() != 64 ||
      a.mac.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return std::nullopt;
  }
  return a;
}

}  // namespace

int run_audit_verify(const AuditVerifyFlags& flags) {
  namespace audit = slurp::security::audit;
  std::vector<audit::VerifyKey> keys;
  for (const auto& file : flags.keys) {
    std::string why;
    auto key = audit::load_verify_key(file, why);
    if (!key) {
      std::cerr << "slurpctl: " << why << "\n";
      return kAuditUsage;
    }
    keys.push_back(*key);
  }
  std::vector<slurp::security::AuditAnchor> anchors;
  for (const auto& text : flags.anchors) {
    auto anchor = parse_anchor(text);
    if (!anchor) {
      std::cerr << "slurpctl: --anchor " << text
                << ": expected SEQ:MAC (MAC as 64 lowercase hex digits)\n";
      return kAuditUsage;
    }
    anchors.push_back(*anchor);
  }
  std::optional<slurp::AuditAnchorStatus> attested;
  if (flags.cluster) {
    attested = fetch_audit_anchor(flags.connect, flags.node);
    if (!attested) return kAuditNoAnchor;
    anchors.push_back({attested->seq, attested->mac});
  }
  auto report = slurp::security::verify_audit_log(flags.file, keys, anchors);
  if (!report) {
    std::cerr << "slurpctl: " << report.error().reason << "\n";
    return kAuditUsage;
  }
  std::cout << slurp::security::describe(*report);
  bool tampered = !report->intact;
  if (attested)
    tampered = describe_against_anchor(*report, *attested, std::cout);
  return tampered ? kAuditTampered : kAuditIntact;
}

}  // namespace slurpctl
