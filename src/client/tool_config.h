// How a tool finds a cluster: the config file, the nodes in it and their
// public keys, and our own key pair. docs/CONFIG.md describes the sources:
//   config file   --config, $SLURP_CONFIG, ./cluster.toml
//   our key       --key, $SLURP_KEY, cluster.client_key
//   node keys     each [[nodes]] entry's public_key / public_key_z85
//   insecure      cluster.insecure (after $SLURP_INSECURE)
// The environment overrides of docs/CONFIG.md (SLURP_HOST_<ID> ...) apply,
// so a tool outside a container can reach nodes that the file names by
// their service names.
//
// Free functions; any thread. They read files, nothing else.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bus/curve_keys.h"
#include "protocol/result.h"
#include "src/client/client.h"
#include "src/config/cluster_config.h"

namespace slurp::client {

// One node as a tool reaches it.
struct NodeTarget {
  std::string id;                // "" for a node given by endpoint alone
  std::string api_endpoint;      // e.g. tcp://127.0.0.1:7101
  std::string events_endpoint;   // "" when unknown (endpoint alone)
  std::string public_key_z85;    // "" when insecure
  std::string jobs_endpoint;     // "" when unknown (endpoint alone)
  std::string results_endpoint;  // "" when unknown (endpoint alone)
};

struct ToolConfig {
  std::filesystem::path config_path;  // "" when given by flags alone
  std::vector<NodeTarget> nodes;      // file order; never empty
  bus::CurveKeyPair keys;             // ours; empty when insecure
  bool insecure = false;
  // [files] roots: where slurp-worker may read file_path (it has
  // --file-root to override them).
  std::vector<std::string> file_roots;
  // HOST:PORT where a node's /metrics, /healthz and /readyz answer, by
  // node id; absent when it has no metrics_listen. A wildcard bind is
  // reached at the node's host.
  std::map<std::string, std::string, std::less<>> node_metrics_address;
  // [[workers]] metrics_listen by worker id (slurp-worker --name).
  std::map<std::string, std::string, std::less<>> worker_metrics_listen;

  // nullptr when no node has that id.
  const NodeTarget* find_node(std::string_view id) const;
  // Options for a Client talking to `node`'s api (see ClientOptions for
  // the two timeouts).
  ClientOptions client_options(
      const NodeTarget& node, std::chrono::milliseconds timeout,
      std::chrono::milliseconds connect_timeout = {}) const;
};

struct ToolFlags {
  std::optional<std::string> config;  // --config
  std::optional<std::string> key;     // --key
  bool insecure = false;              // --insecure: overrides the file
};

// Finds and loads the config and every key it needs. Errors: not_found
// (no config anywhere: the message says where it looked; or a named file
// missing), bad_request (the file or a key file is wrong, or no client key
// when one is needed), and load errors of the key files.
Result<ToolConfig> load_tool_config(const ToolFlags& flags,
                                    const config::GetEnv& getenv);

// The same from an already loaded cluster config (tests, embedding).
Result<ToolConfig> tool_config_from(const config::ClusterConfig& cluster,
                                    const ToolFlags& flags,
                                    const config::GetEnv& getenv);

}  // namespace slurp::client
