// slurpd: one slurp node. See README.md ("Running a node") for the flags.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "bus/signal_flags.h"
#include "src/node/node.h"

int main(int argc, char** argv) {
  CLI::App app{"slurpd: a slurp cluster node"};
  slurp::node::NodeOptions options;
  std::string log_level = "info";
  app.add_option("--node", options.node_id, "this node's id")->required();
  app.add_option("--api", options.api_endpoint,
                 "api ROUTER endpoint to bind (port * picks a free one)")
      ->capture_default_str();
  app.add_option("--secret-key", options.secret_key,
                 "this node's CURVE secret key file (mode 0600)");
  app.add_option("--authorized-keys", options.authorized_keys,
                 "file of '<public key> <name> <role>' lines");
  app.add_option("--data-dir", options.data_dir, "where audit.log is kept")
      ->required();
  app.add_option("--endpoint-file", options.endpoint_file,
                 "write the bound api endpoint here once serving");
  app.add_flag("--insecure", options.insecure,
               "PLAINTEXT: no encryption, no authentication (tests only)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  // Logs go to stderr: stdout stays free for what scripts read.
  spdlog::set_default_logger(spdlog::stderr_color_mt("slurpd"));
  spdlog::set_level(spdlog::level::from_str(log_level));
  if (options.insecure) {
    spdlog::warn(
        "--insecure: the api is PLAINTEXT; anyone who can reach it may read "
        "and send traffic. Never use this outside a test.");
  } else if (options.secret_key.empty()) {
    spdlog::error("--secret-key is required (or --insecure for tests)");
    return 2;
  }
  if (auto s = slurp::bus::install_signal_handlers(); !s) {
    spdlog::error("{}", s.error().describe());
    return 1;
  }
  auto node = slurp::node::Node::start(options);
  if (!node) {
    spdlog::error("cannot start: {}", node.error().describe());
    return 1;
  }
  return (*node)->run();
}
