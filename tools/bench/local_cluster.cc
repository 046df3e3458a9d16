#include "tools/bench/local_cluster.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>

extern char** environ;

namespace slurp::bench {
namespace {

// Lines of the script's log quoted in an error.
constexpr std::size_t log_tail_lines = 15;

std::string log_tail(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > log_tail_lines) lines.pop_front();
  }
  std::string tail;
  for (const auto& line : lines) tail += "\n  " + line;
  return tail;
}

// Runs `args` (args[0] is the program path) with stdout and stderr
// appended to `log`, and waits for it. posix_spawn rather than fork: the
// zmq context's threads make anything but exec unsafe in a forked child.
Status run_logged(const std::vector<std::string>& args,
                  const std::filesystem::path& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return make_error(ErrorCode::internal,
                      "cannot run " + args[0] + ": " + std::strerror(spawned));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return make_error(ErrorCode::internal,
                        "waitpid: " + std::string(std::strerror(errno)));
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ok_status();
  std::string command;
  for (const auto& a : args) command += (command.empty() ? "" : " ") + a;
  return make_error(ErrorCode::internal,
                    command + " failed (see " + log.string() +
                        "); its last lines:" + log_tail(log));
}

}  // namespace

Status cluster_up(const LocalCluster& cluster) {
  std::vector<std::string> args{cluster.script.string(),
                                "up",
                                "--nodes",
                                std::to_string(cluster.nodes),
                                "--workers",
                                std::to_string(cluster.workers),
                                "--dir",
                                cluster.dir.string(),
                                "--base-port",
                                std::to_string(cluster.base_port)};
  for (const auto& limit : cluster.limits) {
    args.push_back("--limit");
    args.push_back(limit);
  }
  return run_logged(args, cluster.log);
}

Status cluster_down(const LocalCluster& cluster) {
  return run_logged(
      {cluster.script.string(), "down", "--dir", cluster.dir.string()},
      cluster.log);
}

Status cluster_restart(const LocalCluster& cluster, const std::string& name) {
  return run_logged(
      {cluster.script.string(), "restart", name, "--dir", cluster.dir.string()},
      cluster.log);
}

std::optional<pid_t> read_pid(const LocalCluster& cluster,
                              const std::string& name) {
  std::ifstream in(cluster.dir / "pids" / (name + ".pid"));
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

std::optional<std::uint64_t> proc_status_kib(pid_t pid,
                                             std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  const std::string prefix = std::string(field) + ":";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream fields(line.substr(prefix.size()));
    std::uint64_t kib = 0;
    if (fields >> kib) return kib;
  }
  return std::nullopt;
}

Status authorize_keys(const LocalCluster& cluster,
                      const std::vector<ExtraKey>& keys) {
  const auto path = cluster.dir / "authorized_keys";
  {
    std::ofstream out(path, std::ios::app);
    for (const auto& k : keys) {
      out << k.keys.public_z85 << " " << k.name << " " << k.role << "\n";
    }
    if (!out.flush()) {
      return make_error(ErrorCode::internal,
                        "cannot append to " + path.string());
    }
  }
  for (int i = 1; i <= cluster.nodes; ++i) {
    const std::string name = "n" + std::to_string(i);
    auto pid = read_pid(cluster, name);
    if (!pid || kill(*pid, SIGHUP) != 0) {
      return make_error(ErrorCode::internal,
                        "cannot signal " + name + " to reload its keys");
    }
  }
  return ok_status();
}

}  // namespace slurp::bench
