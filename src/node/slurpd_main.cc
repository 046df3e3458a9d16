// slurpd: one slurp node. See README.md ("Running a node") for the flags.
//
//   slurpd --config cluster.toml --node n1        a member of a cluster
//   slurpd --node n1 --api tcp://127.0.0.1:7101 --secret-key n1.key
//          --authorized-keys authorized_keys --data-dir data/n1
//                                                 a one-node cluster
//
// Values come from, strongest first: flags, environment (docs/CONFIG.md),
// the file. Every error in them is reported before anything binds.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <optional>

#include "bus/escaped_log_format.h"
#include "bus/signal_flags.h"
#include "src/config/cluster_config.h"
#include "src/config/listen_address.h"
#include "src/node/node.h"

namespace {

struct Flags {
  std::optional<std::string> config;
  std::string node_id;
  std::optional<std::string> api, events, jobs, results;
  std::optional<std::string> secret_key, authorized_keys, data_dir;
  std::optional<std::string> endpoint_file;
  std::optional<std::string> metrics_listen;
  bool insecure = false;
  std::size_t workers = 0;
  std::string log_level = "info";
};

slurp::Result<slurp::node::NodeOptions> options_from(const Flags& flags) {
  using namespace slurp;
  node::NodeOptions options;
  if (auto path =
          config::discover_config(flags.config, config::process_getenv)) {
    auto loaded = config::load_cluster_config(*path);
    if (!loaded) return loaded.error();
    if (Status s = config::apply_environment(*loaded, config::process_getenv);
        !s) {
      return s.error();
    }
    auto from_file = node::node_options_from_config(*loaded, flags.node_id);
    if (!from_file) return from_file.error();
    options = std::move(*from_file);
  } else {
    options.node_id = flags.node_id;
    if (!flags.data_dir) {
      return make_error(ErrorCode::bad_request,
                        "--data-dir is required without --config", "data_dir");
    }
  }
  if (flags.api) options.api_bind = *flags.api;
  if (flags.events) options.events_bind = *flags.events;
  if (flags.jobs) options.jobs_bind = *flags.jobs;
  if (flags.results) options.results_bind = *flags.results;
  if (flags.secret_key) options.secret_key = *flags.secret_key;
  if (flags.authorized_keys) options.authorized_keys = *flags.authorized_keys;
  if (flags.data_dir) options.data_dir = *flags.data_dir;
  if (flags.endpoint_file) options.endpoint_file = *flags.endpoint_file;
  if (flags.metrics_listen) options.metrics_listen = *flags.metrics_listen;
  if (auto problem = config::listen_address_problem(options.metrics_listen);
      !options.metrics_listen.empty() && problem) {
    return make_error(ErrorCode::bad_request, "--metrics-listen " + *problem,
                      "metrics_listen");
  }
  if (flags.insecure) options.insecure = true;
  options.embedded_workers = flags.workers;
  if (options.insecure && options.members.size() > 1) {
    return make_error(ErrorCode::bad_request,
                      "--insecure supports a one-node cluster only: without "
                      "CURVE, peers cannot be authenticated as nodes",
                      "insecure");
  }
  if (!options.insecure && options.secret_key.empty()) {
    return make_error(ErrorCode::bad_request,
                      "no secret key: give --secret-key or the node's "
                      "secret_key in the config (or --insecure for tests)",
                      "secret_key");
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"slurpd: a slurp cluster node"};
  Flags flags;
  app.add_option("--config", flags.config,
                 "cluster.toml (else $SLURP_CONFIG, else ./cluster.toml if "
                 "present; without one: a one-node cluster from flags)");
  app.add_option("--node", flags.node_id, "this node's id")->required();
  app.add_option("--api", flags.api,
                 "api ROUTER endpoint to bind (port * picks a free one); "
                 "default from the config, else tcp://127.0.0.1:7101");
  app.add_option("--events", flags.events, "events PUB endpoint to bind");
  app.add_option("--jobs", flags.jobs, "jobs PUSH endpoint to bind");
  app.add_option("--results", flags.results, "results PULL endpoint to bind");
  app.add_option("--secret-key", flags.secret_key,
                 "this node's CURVE secret key file (mode 0600)");
  app.add_option("--authorized-keys", flags.authorized_keys,
                 "file of '<public key> <name> <role>' lines");
  app.add_option("--data-dir", flags.data_dir,
                 "where the Raft log, snapshots and audit.log are kept");
  app.add_option("--endpoint-file", flags.endpoint_file,
                 "write the bound api endpoint here once serving");
  app.add_option("--metrics-listen", flags.metrics_listen,
                 "HOST:PORT for Prometheus /metrics, /healthz and /readyz "
                 "over HTTP (default: the node's metrics_listen; none)");
  app.add_option("--workers", flags.workers,
                 "run N worker slots in this process (same protocol as "
                 "slurp-worker)")
      ->check(CLI::Range(0, 1024));
  app.add_flag("--insecure", flags.insecure,
               "PLAINTEXT: no encryption, no authentication (tests only)");
  app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  // Logs go to stderr: stdout stays free for what scripts read.
  auto logger = spdlog::stderr_color_mt("slurpd");
  slurp::bus::use_escaped_log_format(
      *logger, "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + flags.node_id + "] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  auto options = options_from(flags);
  if (!options) {
    spdlog::error("bad configuration: {}", options.error().describe());
    return 2;
  }
  if (options->insecure) {
    spdlog::warn(
        "--insecure: the api is PLAINTEXT; anyone who can reach it may read "
        "and send traffic. Never use this outside a test.");
  }
  if (auto s = slurp::bus::install_signal_handlers(); !s) {
    spdlog::error("{}", s.error().describe());
    return 1;
  }
  auto node = slurp::node::Node::start(*options);
  if (!node) {
    spdlog::error("cannot start: {}", node.error().describe());
    return 1;
  }
  return (*node)->run();
}
