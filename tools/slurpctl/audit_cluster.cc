// slurpctl audit verify FILE --cluster --node NODE_ID: the anchor the
// replicated log holds for NODE_ID's audit log (status.audit_anchors,
// PROTOCOL.md "Audit log"), and what checking the file against it proves.
#include <ctime>
#include <iostream>

#include "tools/slurpctl/commands.h"

namespace slurpctl {
namespace {

std::string utc(std::uint64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string where(const slurp::AuditAnchorStatus& a) {
  return "anchored at " + utc(a.time_ms) + ", log index " +
         std::to_string(a.index);
}

}  // namespace

std::optional<slurp::AuditAnchorStatus> fetch_audit_anchor(
    Flags f, const std::string& node) {
  std::vector<CLI::Option*> no_direct_options;
  if (auto problem = resolve_target(f, no_direct_options)) {
    std::cerr << "slurpctl: " << *problem << "\n";
    return std::nullopt;
  }
  slurp::client::ClusterAnswer answer;
  // A leader read (not --stale): the anchors a majority has committed.
  if (ask<slurp::StatusReply>(f, slurp::StatusRequest{1, false}, answer) !=
      exit_ok) {
    return std::nullopt;
  }
  const auto& status = std::get<slurp::StatusReply>(answer.reply);
  if (status.audit_anchors) {
    for (const auto& a : *status.audit_anchors) {
      if (a.node == node) return a;
    }
  }
  std::cerr << "slurpctl: the cluster holds no audit anchor for node '" << node
            << "' (not a member, or it has not anchored yet: nodes anchor "
               "every audit_anchor_interval_ms)\n";
  return std::nullopt;
}

bool describe_against_anchor(const slurp::security::AuditVerifyReport& report,
                             const slurp::AuditAnchorStatus& a,
                             std::ostream& out) {
  const std::uint64_t last =
      report.chains.empty() ? 0 : report.chains.back().last_seq;
  bool tampered = !report.intact;
  if (!report.intact && last < a.seq) {
    out << "CUT: the file was cut: it ends at seq " << last
        << ", but the cluster attested seq " << a.seq << " (" << where(a)
        << ").\n";
  } else if (report.intact) {
    out << "Cluster: node " << a.node << "'s head at seq " << a.seq << " ("
        << where(a)
        << ") is in the file with the attested MAC. Records up to seq " << a.seq
        << " are attested by the cluster's majority: none was cut, and "
           "the one at seq "
        << a.seq << " is the record the node reported. ";
    if (last > a.seq) {
      out << "Records after it (seq " << a.seq + 1 << ".." << last
          << ") are not attested: cutting them would go unseen. A running "
             "node anchors every audit_anchor_interval_ms, so that is at "
             "most one interval's records, plus what it wrote after its "
             "last anchor before it stopped.\n";
    } else {
      out << "No record follows it.\n";
    }
  }
  if (a.regressions > 0) {
    tampered = true;
    out << "EVIDENCE: node " << a.node << " reported seq "
        << a.last_regression_seq << " after anchoring seq " << a.seq << " ("
        << a.regressions
        << " such report(s)): its audit log lost or changed records the "
           "cluster had attested.\n";
  }
  return tampered;
}

}  // namespace slurpctl
