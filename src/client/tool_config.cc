#include "src/client/tool_config.h"

namespace slurp::client {

const NodeTarget* ToolConfig::find_node(std::string_view id) const {
  for (const NodeTarget& node : nodes) {
    if (node.id == id) return &node;
  }
  return nullptr;
}

ClientOptions ToolConfig::client_options(
    const NodeTarget& node, std::chrono::milliseconds timeout,
    std::chrono::milliseconds connect_timeout) const {
  ClientOptions options;
  options.endpoint = node.api_endpoint;
  options.server_public_z85 = node.public_key_z85;
  options.keys = keys;
  options.insecure = insecure;
  options.timeout = timeout;
  options.connect_timeout = connect_timeout;
  return options;
}

namespace {

Result<std::string> node_public_key(const config::NodeConfig& node) {
  if (!node.public_key_z85.empty()) return node.public_key_z85;
  auto key = bus::load_public_key(node.public_key_path);
  if (!key) {
    Error error = key.error();
    error.reason = "node " + node.id + ": " + error.reason;
    return error;
  }
  return key;
}

}  // namespace

Result<ToolConfig> tool_config_from(const config::ClusterConfig& cluster,
                                    const ToolFlags& flags,
                                    const config::GetEnv& getenv) {
  ToolConfig tool;
  tool.config_path = cluster.source_name;
  tool.insecure = cluster.insecure || flags.insecure;
  tool.file_roots = cluster.files.roots;
  for (const config::NodeConfig& node : cluster.nodes) {
    NodeTarget target{node.id, node.api_endpoint(),  node.events_endpoint(),
                      "",      node.jobs_endpoint(), node.results_endpoint()};
    if (!tool.insecure) {
      auto key = node_public_key(node);
      if (!key) return key.error();
      target.public_key_z85 = *key;
    }
    tool.nodes.push_back(std::move(target));
  }
  if (tool.insecure) return tool;
  auto key_path = config::discover_client_key(flags.key, getenv, cluster);
  if (!key_path) {
    return make_error(ErrorCode::bad_request,
                      "no client key: give --key PATH, set SLURP_KEY, or set "
                      "client_key in [cluster] of " +
                          cluster.source_name,
                      "client_key");
  }
  auto keys = bus::load_keypair(*key_path);
  if (!keys) return keys.error();
  tool.keys = *keys;
  return tool;
}

Result<ToolConfig> load_tool_config(const ToolFlags& flags,
                                    const config::GetEnv& getenv) {
  auto path = config::discover_config(flags.config, getenv);
  if (!path) {
    return make_error(ErrorCode::not_found,
                      "no cluster config: give --config FILE, set "
                      "SLURP_CONFIG, or run where cluster.toml is");
  }
  auto cluster = config::load_cluster_config(*path);
  if (!cluster) return cluster.error();
  if (Status s = config::apply_environment(*cluster, getenv); !s) {
    return s.error();
  }
  return tool_config_from(*cluster, flags, getenv);
}

}  // namespace slurp::client
