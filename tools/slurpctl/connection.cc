#include "tools/slurpctl/connection.h"

#include "bus/curve_keys.h"
#include "src/client/error_advice.h"
#include "src/config/cluster_config.h"

namespace slurpctl {

using slurp::ErrorCode;

std::string advice_for(std::uint64_t code) {
  if (auto known = slurp::error_code_from_number(code)) {
    return std::string(slurp::client::error_advice(*known));
  }
  return "";
}

int fail(const slurp::Error& error, int exit_code) {
  std::cerr << "slurpctl: " << error.describe() << "\n"
            << "  what to do: " << slurp::client::error_advice(error.code)
            << "\n";
  return exit_code;
}

int fail_reply(const slurp::client::ClusterAnswer& answer,
               const slurp::ErrorReply& reply) {
  const std::string who = answer.node.empty() ? answer.endpoint : answer.node;
  std::cerr << "slurpctl: " << who << " answered " << reply.name << ": "
            << reply.message;
  if (reply.field) std::cerr << " (field " << *reply.field << ")";
  if (reply.leader) std::cerr << " (leader " << *reply.leader;
  if (reply.leader && reply.leader_endpoint) {
    std::cerr << " at " << *reply.leader_endpoint;
  }
  if (reply.leader) std::cerr << ")";
  std::cerr << "\n";
  if (std::string hint = advice_for(reply.code); !hint.empty()) {
    std::cerr << "  what to do: " << hint << "\n";
  }
  return exit_refused;
}

namespace {

// One node given by flags: no config file involved.
slurp::Result<slurp::client::ToolConfig> direct_target(const Flags& f) {
  slurp::client::ToolConfig tool;
  tool.insecure = f.insecure;
  slurp::client::NodeTarget node{"", f.endpoint, "", "", "", ""};
  if (!f.insecure) {
    if (f.server_key.empty() || f.key.empty()) {
      return slurp::make_error(ErrorCode::bad_request,
                               "--server-key and --key are required with "
                               "--endpoint (or --insecure)");
    }
    auto server = slurp::bus::load_public_key(f.server_key);
    if (!server) return server.error();
    auto keys = slurp::bus::load_keypair(f.key);
    if (!keys) return keys.error();
    node.public_key_z85 = *server;
    tool.keys = *keys;
  }
  tool.nodes.push_back(std::move(node));
  return tool;
}

}  // namespace

slurp::Result<slurp::client::ToolConfig> load_target(const Flags& f) {
  if (f.direct) return direct_target(f);
  slurp::client::ToolFlags flags;
  flags.config = f.config;  // found already (resolve_target)
  if (!f.key.empty()) flags.key = f.key;
  flags.insecure = f.insecure;
  auto tool =
      slurp::client::load_tool_config(flags, slurp::config::process_getenv);
  if (!tool) return tool.error();
  if (!f.node.empty() && tool->find_node(f.node) == nullptr) {
    std::string ids;
    for (const auto& n : tool->nodes) ids += (ids.empty() ? "" : ", ") + n.id;
    return slurp::make_error(ErrorCode::not_found,
                             "no node '" + f.node + "' in " +
                                 tool->config_path.string() + " (it has " +
                                 ids + ")",
                             "--node");
  }
  return tool;
}

slurp::client::ClusterCallOptions call_options(const Flags& f) {
  slurp::client::ClusterCallOptions options;
  if (!f.node.empty()) options.node = f.node;
  options.timeout_per_node = std::chrono::milliseconds(f.timeout_ms);
  options.connect_timeout_per_node =
      std::chrono::milliseconds(f.connect_timeout_ms);
  return options;
}

std::string answered_by(const slurp::client::ClusterAnswer& answer,
                        const std::string& node) {
  if (answer.node.empty() || answer.node == node) {
    return node + " (" + answer.endpoint + ")";
  }
  return node + " (asked " + answer.node + " at " + answer.endpoint + ")";
}

void add_connect_flags(CLI::App* cmd, Flags& f,
                       std::vector<CLI::Option*>& direct_options) {
  cmd->add_option("--node", f.node,
                  "with a config: only this node (default: each in file "
                  "order until one answers)");
  direct_options.push_back(
      cmd->add_option("--endpoint", f.endpoint,
                      "one node's api endpoint, without a config file")
          ->capture_default_str());
  direct_options.push_back(cmd->add_option("--server-key", f.server_key,
                                           "that node's public key file"));
  cmd->add_option("--key", f.key,
                  "our secret key file (mode 0600); default $SLURP_KEY, "
                  "then client_key in the config");
  cmd->add_flag("--insecure", f.insecure, "plaintext (test clusters only)");
  cmd->add_option("--timeout-ms", f.timeout_ms,
                  "per node: wait this long for an answer (a follower holds "
                  "requests up to 5 s while no leader is known)")
      ->capture_default_str()
      ->check(CLI::Range(1, 600000));
  cmd->add_option("--connect-timeout-ms", f.connect_timeout_ms,
                  "per node: give up on a node not connected by then")
      ->capture_default_str()
      ->check(CLI::Range(1, 600000));
}

std::optional<std::string> resolve_target(
    Flags& f, const std::vector<CLI::Option*>& direct_options) {
  for (const CLI::Option* option : direct_options) {
    if (option->count() > 0) f.direct = true;
  }
  if (!f.direct) {
    // Found here so that, without a file, --insecure alone still means one
    // plaintext node at the default --endpoint.
    std::optional<std::string> flag;
    if (!f.config.empty()) flag = f.config;
    auto found =
        slurp::config::discover_config(flag, slurp::config::process_getenv);
    if (found) {
      f.config = found->string();
    } else {
      f.direct = f.insecure;
    }
  }
  if (f.direct && !f.config.empty()) {
    return "--config and --endpoint/--server-key exclude each other";
  }
  if (f.direct && !f.node.empty()) {
    return "--node needs a config (--config), not --endpoint";
  }
  if (!f.direct && f.config.empty()) {
    return "no cluster config: give --config FILE, set SLURP_CONFIG or run "
           "where cluster.toml is; or name one node with --endpoint, "
           "--server-key and --key";
  }
  return std::nullopt;
}

}  // namespace slurpctl
