// What one slurpd process is started with, however it was configured: from
// cluster.toml (node_options_from_config.h) or, for a one-node cluster, from
// flags alone. Validated before anything binds.
// Plain data; any thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "src/config/cluster_config.h"

namespace slurp::node {

// A voter as the others reach it.
struct MemberOptions {
  std::string id;
  std::string api_endpoint;  // to connect to
  std::string events_endpoint;
  std::string jobs_endpoint;
  std::string results_endpoint;
  std::string public_key_z85;  // empty only when insecure
};

struct NodeOptions {
  std::string node_id;
  // What this node binds (port * picks a free one; the bound endpoints are
  // then advertised in beacons and written to endpoint_file).
  std::string api_bind = "tcp://127.0.0.1:7101";
  std::string events_bind = "tcp://127.0.0.1:*";
  std::string jobs_bind = "tcp://127.0.0.1:*";
  std::string results_bind = "tcp://127.0.0.1:*";
  // Every voter, this node included. Empty: a one-node cluster of this node.
  std::vector<MemberOptions> members;
  std::filesystem::path secret_key;       // <name>.key, mode 0600
  std::filesystem::path authorized_keys;  // public key -> name + role
  std::filesystem::path data_dir;         // raft.db, snapshots, audit.log
  std::filesystem::path endpoint_file;    // optional: bound api endpoint
  bool insecure = false;                  // plaintext; loud warnings
  config::TimingConfig timing;
  config::LimitsConfig limits;
  std::size_t embedded_workers = 0;  // --workers N: engine threads in-process
  // [files] roots: where embedded workers may read file_path (none: they
  // refuse every file_path), and what admission may check it against.
  std::vector<std::string> file_roots;
  // HOST:PORT of the metrics and health listener; empty: none.
  std::string metrics_listen;
};

// The options for node `node_id` of `config`. Errors: not_found (no such
// node in the file, naming the ids it has), bad_request (a multi-node
// cluster with insecure: peers could not be authenticated as nodes).
Result<NodeOptions> node_options_from_config(
    const config::ClusterConfig& config, const std::string& node_id);

}  // namespace slurp::node
