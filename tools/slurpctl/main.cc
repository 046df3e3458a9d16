// slurpctl: the command-line client. Uses only the public client library
// (src/client) and the key-file functions any client needs.
//
// Two ways to name what to talk to:
//   --config FILE (or $SLURP_CONFIG, ./cluster.toml): the cluster's nodes,
//     their keys and ours (docs/CONFIG.md); requests go to --node, else to
//     the nodes in file order until one answers, following the leader.
//   --endpoint / --server-key / --key: one node, no config file.
#include <spdlog/spdlog.h>

#include "tools/slurpctl/commands.h"

namespace {

constexpr const char* kExamples = R"(Examples:
  slurpctl keygen --name alice                 # alice.key (0600) + alice.pub
  slurpctl status                              # leader, members, queue, workers
  slurpctl generate --recursive src/ --wait    # a tree, with a progress bar
  slurpctl generate main.go --priority high --depends-on ucxl://proj/lib
  slurpctl get ucxl://proj/src/main.go         # one context (--json for all of it)
  slurpctl export --format markdown ucxl://proj/src/ > CONTEXT.md
  slurpctl watch 1042                          # until job 1042 ends
  slurpctl cancel 1042
  slurpctl cluster                             # every node: endpoints, answers?, lag
  slurpctl health                              # every node's /healthz and /readyz
  slurpctl audit verify data/audit.log --key audit.verify-key
  slurpctl audit verify data/n2/audit.log --cluster --node n2

The cluster config is --config, else $SLURP_CONFIG, else ./cluster.toml.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace slurpctl;
  CLI::App app{"slurpctl: talk to a slurp cluster"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may also follow the subcommand
  app.footer(std::string(kExamples) + "\n" + kExitCodes);

  Flags f;
  app.add_option("--config", f.config,
                 "cluster.toml (default $SLURP_CONFIG, then ./cluster.toml)");
  bool verbose = false;
  app.add_flag("--verbose", verbose, "log socket events to stderr");

  std::string dir = ".", name;
  auto* keygen = app.add_subcommand("keygen", "write a CURVE key pair");
  keygen->add_option("--dir", dir, "where to write")->capture_default_str();
  keygen->add_option("--name", name, "writes NAME.key and NAME.pub")
      ->required();

  std::vector<CLI::Option*> direct;
  auto* ping = app.add_subcommand("ping", "check a node answers over CURVE");
  add_connect_flags(ping, f, direct);

  auto* status = app.add_subcommand(
      "status",
      "the cluster: leader, term, members, queue by priority, workers, rates");
  add_connect_flags(status, f, direct);
  status->add_flag("--json", f.json, "one JSON object on one line");
  status->add_flag("--stale", f.stale,
                   "answer from the asked node's own state (works without a "
                   "leader)");

  auto* cluster = app.add_subcommand(
      "cluster", "every configured node: endpoints, answers, state, lag");
  add_connect_flags(cluster, f, direct);
  cluster->add_flag("--json", f.json, "one JSON array on one line");

  auto* health = app.add_subcommand(
      "health",
      "every node's /healthz and /readyz (metrics_listen) with the reasons");
  add_connect_flags(health, f, direct);
  health->add_flag("--json", f.json, "one JSON array on one line");

  GenerateFlags g;
  auto* generate = app.add_subcommand(
      "generate",
      "queue context generation for files (content sent inline) and "
      "directories (after their entries)");
  add_connect_flags(generate, f, direct);
  generate->add_option("PATH", g.paths, "files or directories")->required();
  generate->add_flag("--recursive,-r", g.recursive,
                     "everything under each directory, directories last");
  generate->add_flag("--hidden", g.include_hidden,
                     "include entries whose name starts with '.'");
  generate->add_option("--project", g.project,
                       "the UCXL project (default: the root's name)");
  generate->add_option("--root", g.root,
                       "addresses are paths relative to this (default: the "
                       "current directory, or the first PATH's parent)");
  generate
      ->add_option("--priority", g.priority,
                   "low, normal, high, critical or emergency")
      ->capture_default_str();
  generate->add_option("--depends-on", g.depends_on,
                       "an address every request depends on (repeatable)");
  generate->add_flag("--wait", g.wait, "wait until every job has ended");
  generate->add_flag(
      "--by-path", g.by_path,
      "send each file's path instead of its content: the cluster's "
      "workers read it (they must see this file system, with a [files] "
      "root above the files); the content stays out of the Raft log");
  generate
      ->add_option("--in-flight", g.in_flight_max, "requests pipelined at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  generate
      ->add_option("--progress", g.progress,
                   "auto (a bar on a terminal, lines otherwise), bar, "
                   "lines or none")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "bar", "lines", "none"}));
  generate->add_flag("--json", f.json,
                     "one JSON object per file and directory on stdout");

  std::string address;
  auto* get = app.add_subcommand("get", "show the stored context of ADDRESS");
  add_connect_flags(get, f, direct);
  get->add_option("ADDRESS", address, "a UCXL address")->required();
  get->add_flag("--json", f.json, "the whole context as one JSON object");
  get->add_flag("--stale", f.stale, "from the asked node's own state");

  std::string format = "jsonl", prefix;
  auto* exporter = app.add_subcommand(
      "export", "every stored context under PREFIX (default: all)");
  add_connect_flags(exporter, f, direct);
  exporter->add_option("PREFIX", prefix, "a UCXL address or its beginning");
  exporter->add_option("--format", format, "json, jsonl or markdown")
      ->capture_default_str()
      ->check(CLI::IsMember({"json", "jsonl", "markdown"}));
  exporter->add_flag("--stale", f.stale, "from the asked node's own state");

  std::uint64_t job_id = 0;
  auto* cancel = app.add_subcommand("cancel", "cancel job JOB");
  add_connect_flags(cancel, f, direct);
  cancel->add_option("JOB", job_id, "job id (from generate)")->required();

  int interval_ms = 500;
  auto* watch = app.add_subcommand(
      "watch", "follow job JOB until it ends (exit 0 only if it completed)");
  add_connect_flags(watch, f, direct);
  watch->add_option("JOB", job_id, "job id")->required();
  watch->add_option("--interval-ms", interval_ms, "how often to ask")
      ->capture_default_str()
      ->check(CLI::Range(50, 60000));

  AuditVerifyFlags av;
  auto* audit = app.add_subcommand(
      "audit", "the audit log of a node (the cluster only with --cluster)");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand(
      "verify",
      "check an audit.log file and say what that proves; exit 0 intact, "
      "1 tampering or damage found, 2 usage");
  audit_verify->add_option("FILE", av.file, "the audit.log file")->required();
  audit_verify->add_option(
      "--key", av.keys,
      "a chain's verification key file (audit.verify-key*; repeatable)");
  audit_verify->add_option(
      "--anchor", av.anchors,
      "SEQ:MAC of a record attested by the replicated log (repeatable)");
  audit_verify->add_flag(
      "--cluster", av.cluster,
      "also check the file against the anchor the cluster holds for "
      "--node (asks `status` with the config and client key)");
  audit_verify->add_option("--node", av.node,
                           "with --cluster: whose audit log FILE is");
  audit_verify->add_option("--client-key", av.connect.key,
                           "with --cluster: our secret key file; default "
                           "$SLURP_KEY, then client_key in the config");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    if (audit->parsed()) return code == 0 ? 0 : 2;  // audit's own codes
    return code == 0 ? exit_ok : exit_usage;
  }
  // The library logs connection events; a CLI shows them only on request,
  // its own error message already says what went wrong.
  spdlog::set_level(verbose ? spdlog::level::info : spdlog::level::off);
  if (*keygen) return run_keygen(dir, name);
  if (*audit_verify) {
    if (av.cluster != !av.node.empty()) {
      std::cerr << "slurpctl: --cluster and --node go together\n";
      return 2;
    }
    av.connect.config = f.config;
    return run_audit_verify(av);
  }
  if (auto problem = resolve_target(f, direct)) {
    std::cerr << "slurpctl: " << *problem << "\n";
    return exit_usage;
  }
  if (*ping) return run_ping(f);
  if (*status) return run_status(f);
  if (*cluster) return run_cluster(f);
  if (*health) return run_health(f);
  if (*generate) return run_generate(f, g);
  if (*get) return run_get(f, address);
  if (*exporter) return run_export(f, format, prefix);
  if (*cancel) return run_cancel(f, job_id);
  return run_watch(f, job_id, interval_ms);
}
