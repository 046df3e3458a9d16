#include "src/client/tool_config.h"

#include "src/config/listen_address.h"

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

namespace {

// Where a client reaches the node's metrics listener: its own address,
// or the node's host when it binds every interface.
std::string metrics_address(const config::NodeConfig& node) {
  auto listen = config::parse_listen_address(node.metrics_listen);
  if (!listen) return "";
  if (!listen->any_interface()) return listen->text();
  const bool v6 = node.host.find(':') != std::string::npos;
  return (v6 ? "[" + node.host + "]" : node.host) + ":" +
         std::to_string(listen->port);
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
    if (std::string a = metrics_address(node); !a.empty()) {
      tool.node_metrics_address[node.id] = a;
    }
    tool.nodes.push_back(std::move(target));
  }
  for (const config::WorkerConfig& worker : cluster.workers) {
    if (worker.metrics_listen.empty()) continue;
    tool.worker_metrics_listen[worker.id] = worker.metrics_listen;
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
