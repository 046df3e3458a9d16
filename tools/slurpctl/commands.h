// slurpctl's commands, one file each (or two closely related ones). Each
// returns an exit code (connection.h). Main thread.
#pragma once

#include <string>
#include <vector>

#include "src/security/audit_verify.h"
#include "tools/slurpctl/connection.h"

namespace slurpctl {

int run_keygen(const std::string& dir, const std::string& name);
int run_ping(const Flags& f);
int run_status(const Flags& f);
int run_cluster(const Flags& f);
// Every node's /healthz and /readyz; exit 0 all ready, 2 some not, 3 none
// answered (health_command.cc).
int run_health(const Flags& f);

struct GenerateFlags {
  std::vector<std::string> paths;
  bool recursive = false;
  bool include_hidden = false;
  std::string project;
  std::string root;
  std::string priority = "normal";
  std::vector<std::string> depends_on;
  bool wait = false;
  int in_flight_max = 256;
  std::string progress = "auto";  // auto | bar | lines | none
  // Every file as file_path, never inline: the cluster's workers read it.
  bool by_path = false;
};
int run_generate(const Flags& f, const GenerateFlags& g);

int run_get(const Flags& f, const std::string& address);
int run_export(const Flags& f, const std::string& format,
               const std::string& prefix);
int run_cancel(const Flags& f, std::uint64_t job_id);
int run_watch(const Flags& f, std::uint64_t job_id, int interval_ms);

// audit verify: reads a file, no connection; exit 0 intact, 1 tampering
// found, 2 usage (audit_command.cc).
struct AuditVerifyFlags {
  std::string file;
  std::vector<std::string> keys;     // verification key files
  std::vector<std::string> anchors;  // SEQ:MAC
  // --cluster --node ID: also the anchor the replicated log holds for node
  // ID, fetched with `connect` (config, client key); exit 3 if none.
  bool cluster = false;
  std::string node;
  Flags connect;
};
int run_audit_verify(const AuditVerifyFlags& flags);

// audit_cluster.cc: node's anchor from the cluster's status (a leader
// read), or nullopt after printing why; and what the file's check means
// against it. Returns true when the anchor shows tampering or loss (a
// cut, or the node once reported a head behind its anchor).
std::optional<slurp::AuditAnchorStatus> fetch_audit_anchor(
    Flags f, const std::string& node);
bool describe_against_anchor(const slurp::security::AuditVerifyReport& report,
                             const slurp::AuditAnchorStatus& anchor,
                             std::ostream& out);

}  // namespace slurpctl
