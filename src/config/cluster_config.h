// The cluster configuration file (cluster.toml): which nodes make up the
// cluster, where they listen, which keys they use, and the timing and limits
// they share. slurpd, slurp-worker and slurpctl read the same file.
// docs/CONFIG.md is the reference (every key, default and range, with a
// complete annotated example); this is the short form:
//
//   [cluster]                       # optional table
//   name = "slurp"                  # [A-Za-z0-9][A-Za-z0-9._-]{0,63}
//   data_dir = "data"               # node state: <data_dir>/<node id>
//   authorized_keys = "authorized_keys"
//   insecure = false                # plaintext; tests only
//   client_key = "keys/admin.key"   # optional; tools' default secret key
//   [timing]                        # optional table; Raft ticks
//   tick_ms = 10                    # 1..1000
//   election_ticks_min = 15         # > heartbeat_ticks
//   election_ticks_max = 30         # > election_ticks_min
//   heartbeat_ticks = 5
//   [limits]                        # optional table; every value > 0
//   queue_depth_max = 100000        # ...and the others in LimitsConfig
//   [files]                         # optional table
//   roots = ["/srv/src"]            # where workers may read file_path
//   [[nodes]]                       # 1..cluster_nodes_max entries
//   id = "n1"                       # like name; unique
//   host = "127.0.0.1"              # what others connect to
//   bind_host = "0.0.0.0"           # optional; what the node binds
//   api_port = 7101                 # 1..65535; the four ports are unique
//   events_port = 7102              # per host across all nodes
//   jobs_port = 7103
//   results_port = 7104
//   public_key = "keys/n1.pub"      # or public_key_z85 = "<40 chars>"
//   secret_key = "keys/n1.key"      # optional
//   data_dir = "/srv/n1"            # optional
//   metrics_listen = "127.0.0.1:9101"  # optional; HTTP /metrics, /healthz
//   [[workers]]                     # optional
//   id = "w1"
//   public_key = "keys/w1.pub"      # or public_key_z85
//   metrics_listen = "127.0.0.1:9201"  # optional; slurp-worker --name w1
//
// Relative paths resolve against the directory of the config file. Unknown
// keys are errors everywhere: a typo must not silently fall back to a
// default. Nothing here binds a socket or reads a key file; the node shell
// does that after the whole configuration is known to be sound.
//
// Every function here is pure (apart from load_cluster_config reading the
// file, discover_config asking whether ./cluster.toml exists, and
// process_getenv); any thread may call them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/limits.h"
#include "protocol/result.h"

namespace slurp::config {

// Raft peers fan out to every other node on every heartbeat; a bound keeps
// that fan-out (and the config file) small. Raft clusters of 3, 5 or 7 are
// the norm.
inline constexpr std::size_t cluster_nodes_max = 16;
inline constexpr std::size_t cluster_workers_max = 1024;
inline constexpr std::size_t config_file_bytes_max = 1024 * 1024;
inline constexpr std::size_t config_id_bytes_max = 64;
inline constexpr std::size_t config_host_bytes_max = 253;  // a DNS name

// Raft time is counted in ticks of tick_ms (see src/consensus/raft.h).
struct TimingConfig {
  std::uint64_t tick_ms = 10;
  // The election timeout is drawn from [min, max) ticks: 150..300 ms with
  // the defaults, the range the Raft paper recommends.
  std::uint64_t election_ticks_min = 15;
  std::uint64_t election_ticks_max = 30;
  std::uint64_t heartbeat_ticks = 5;
};

// Bounds shared by every node. The node shell copies them into the
// components (consensus::Config, the queue, dispatch); the ones that meet
// the wire may not exceed protocol/limits.h.
struct LimitsConfig {
  std::uint64_t queue_depth_max = 100000;       // waiting requests
  std::uint64_t worker_inflight_jobs_max = 16;  // leased jobs per worker
  std::uint64_t job_attempts_max = 5;           // then dead-lettered
  // A dispatched job's result must arrive within this, or the job is
  // dispatched again: a dead worker's jobs come back within one lease.
  std::uint64_t job_lease_ms = 30000;
  // The first retry waits this long, each next one twice as long (up to
  // 64x), with up to 50% random jitter added.
  std::uint64_t job_retry_backoff_ms = 500;
  // A waiting job rises one priority level per interval (anti-starvation).
  std::uint64_t aging_interval_ms = 10000;
  std::uint64_t uncommitted_entries_max = 65536;  // Raft propose() bound
  std::uint64_t append_entries_max = 256;         // entries per Append
  std::uint64_t append_bytes_max = limits::append_bytes_default;
  std::uint64_t snapshot_bytes_max = std::uint64_t{256} * 1024 * 1024;
  // Applied entries between two snapshots (at least as many as the state
  // has records, so the cost per entry stays flat as the state grows).
  std::uint64_t snapshot_interval_entries = limits::snapshot_interval_entries;
  // How often each node anchors its audit log head in the replicated log
  // (when it moved): records newer than one interval can be cut unseen.
  std::uint64_t audit_anchor_interval_ms = limits::audit_anchor_interval_ms;
};

// Where workers may read a job's file_path: absolute, clean directories
// (src/config/file_roots.h). None (the default): every file_path fails.
struct FilesConfig {
  std::vector<std::string> roots;  // at most limits::file_roots_max
};

struct NodeConfig {
  std::string id;
  std::string host;       // name or address peers and clients connect to
  std::string bind_host;  // what this node binds; empty: host
  std::uint16_t api_port = 0;
  std::uint16_t events_port = 0;
  std::uint16_t jobs_port = 0;
  std::uint16_t results_port = 0;
  // Exactly one of these is set (neither only with cluster.insecure).
  std::filesystem::path public_key_path;
  std::string public_key_z85;
  std::filesystem::path secret_key_path;  // empty: not in the file
  std::filesystem::path data_dir;  // resolved: own, or cluster data_dir/id
  // HOST:PORT of the Prometheus and health listener (listen_address.h);
  // empty: none (the default).
  std::string metrics_listen;

  // "tcp://host:port" to connect to (IPv6 hosts get brackets).
  std::string api_endpoint() const { return endpoint(host, api_port); }
  std::string events_endpoint() const { return endpoint(host, events_port); }
  std::string jobs_endpoint() const { return endpoint(host, jobs_port); }
  std::string results_endpoint() const { return endpoint(host, results_port); }
  // "tcp://bind_host:port" (host when bind_host is empty) to bind.
  std::string bind_endpoint(std::uint16_t port) const {
    return endpoint(bind_host.empty() ? host : bind_host, port);
  }

  static std::string endpoint(std::string_view host, std::uint16_t port);
};

struct WorkerConfig {
  std::string id;
  std::filesystem::path public_key_path;  // at most one of these two
  std::string public_key_z85;
  std::string metrics_listen;  // as NodeConfig's; empty: none
};

struct ClusterConfig {
  std::string source_name;  // the file, for messages
  std::string name = "slurp";
  std::filesystem::path data_dir;         // resolved
  std::filesystem::path authorized_keys;  // resolved
  bool insecure = false;
  // The secret key file tools (slurpctl, slurp-monitor) use when neither
  // --key nor $SLURP_KEY names one; resolved. Empty: not in the file.
  std::filesystem::path client_key;
  TimingConfig timing;
  LimitsConfig limits;
  FilesConfig files;
  std::vector<NodeConfig> nodes;  // file order; never empty once loaded
  std::vector<WorkerConfig> workers;

  // nullptr when no node has that id.
  const NodeConfig* find_node(std::string_view id) const;
};

// Reads and parses the file at `path` (at most config_file_bytes_max).
// Relative paths in it resolve against the file's directory (made
// absolute). Errors: not_found (no such file), bad_request (anything wrong
// inside, see parse_cluster_config), too_large, internal (I/O).
Result<ClusterConfig> load_cluster_config(const std::filesystem::path& path);

// Parses and validates TOML text. `source_name` names it in messages;
// relative paths resolve against `base_dir`. Errors are bad_request with
// field = the key path ("nodes[1].api_port", "" for a syntax error) and a
// reason that starts with "source:line:col: " where the position is known.
Result<ClusterConfig> parse_cluster_config(
    std::string_view toml_text, std::string_view source_name,
    const std::filesystem::path& base_dir);

// getenv as a function, so tests can inject an environment.
using GetEnv = std::function<std::optional<std::string>(const char*)>;
// std::getenv; an empty value counts as unset. Not safe against a
// concurrent setenv (nothing in slurp calls setenv).
std::optional<std::string> process_getenv(const char* name);

// The environment overrides the file (flags override both; the caller
// applies them last). Empty values count as unset. Relative paths are kept
// as given: they mean the working directory, as on a command line.
//   SLURP_DATA_DIR          cluster data_dir; every node's becomes <it>/<id>
//   SLURP_AUTHORIZED_KEYS   cluster authorized_keys
//   SLURP_INSECURE          1/true/yes/on or 0/false/no/off
//   SLURP_BIND_HOST         every node's bind_host (e.g. 0.0.0.0)
//   SLURP_HOST_<ID>         that node's host; see host_env_name
// The cross-entry checks (unique ids, ports unique per host, keys present
// unless insecure) run again afterwards. All-or-nothing: on error
// (bad_request, field = the variable or the key it made invalid) `config`
// is unchanged.
Status apply_environment(ClusterConfig& config, const GetEnv& getenv);

// "SLURP_HOST_" + the id upper-cased with '.' and '-' as '_' (shells
// cannot name variables with them): "n-1" -> "SLURP_HOST_N_1".
std::string host_env_name(std::string_view node_id);

// Where a tool finds the config: `flag` (--config) if given, else
// $SLURP_CONFIG, else ./cluster.toml if it exists, else nullopt. A path
// from the flag or the variable is returned even if missing, so loading it
// reports the error rather than silently picking another file.
using PathExists = std::function<bool(const std::filesystem::path&)>;
std::optional<std::filesystem::path> discover_config(
    const std::optional<std::string>& flag, const GetEnv& getenv,
    const PathExists& exists);
// Same, asking the file system whether ./cluster.toml exists.
std::optional<std::filesystem::path> discover_config(
    const std::optional<std::string>& flag, const GetEnv& getenv);

// The secret key file a tool uses: `flag` (--key) if given, else
// $SLURP_KEY, else the file's cluster.client_key, else nullopt. Empty
// values count as not given. Only the path: the caller loads the key.
std::optional<std::filesystem::path> discover_client_key(
    const std::optional<std::string>& flag, const GetEnv& getenv,
    const ClusterConfig& config);

}  // namespace slurp::config
