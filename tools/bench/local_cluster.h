// A local cluster for slurp-bench, made and removed by tools/cluster (the
// same script a developer runs), plus what the bench reads from the
// directory it leaves: pid files, the authorized-keys file, and the
// processes' resident memory from /proc.
//
// Free functions and a plain struct; call them from the main thread (they
// spawn and wait for child processes).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bus/curve_keys.h"
#include "protocol/result.h"

namespace slurp::bench {

struct LocalCluster {
  std::filesystem::path script;  // tools/cluster
  std::filesystem::path dir;     // its --dir
  std::filesystem::path log;     // the script's output goes here
  int nodes = 3;
  int workers = 0;
  int base_port = 27100;
  std::vector<std::string> limits;  // KEY=VALUE, each `up --limit KEY=VALUE`

  std::filesystem::path config() const { return dir / "cluster.toml"; }
};

// `tools/cluster up`; its output is appended to cluster.log. Errors:
// internal (the script failed; the message quotes the log's last lines).
Status cluster_up(const LocalCluster& cluster);
// `tools/cluster down`. Errors as for cluster_up.
Status cluster_down(const LocalCluster& cluster);
// `tools/cluster restart NAME`: NAME (n2, w1) started again with the
// command `up` used, once it no longer runs. Errors as for cluster_up.
Status cluster_restart(const LocalCluster& cluster, const std::string& name);

// The pid in DIR/pids/NAME.pid, nullopt when missing or malformed.
std::optional<pid_t> read_pid(const LocalCluster& cluster,
                              const std::string& name);

// A memory figure of `pid` in KiB from /proc/PID/status, e.g. "VmRSS"
// (resident now) or "VmHWM" (resident at its peak); nullopt when
// unreadable.
std::optional<std::uint64_t> proc_status_kib(pid_t pid, std::string_view field);

// A key the bench adds to the cluster's authorized keys.
struct ExtraKey {
  std::string name;
  std::string role;
  bus::CurveKeyPair keys;
};

// Appends `keys` to DIR/authorized_keys and sends every node SIGHUP, the
// operator's way of authorizing a key (PROTOCOL.md "Authorizing a key").
// The reload is asynchronous: wait for it by pinging with the new key.
Status authorize_keys(const LocalCluster& cluster,
                      const std::vector<ExtraKey>& keys);

}  // namespace slurp::bench
