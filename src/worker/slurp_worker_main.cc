// slurp-worker: generates contexts for the cluster's jobs.
//
//   slurp-worker --config cluster.toml [--concurrency N] [--name W]
//                [--engine builtin|noop|exec:CMD] [--file-root DIR]...
//                [--nice N]
//
// It connects to every node's jobs and results sockets (only the leader
// sends jobs), so a change of leader needs nothing from it. Its key comes
// from --key, $SLURP_KEY or the config's client_key (docs/CONFIG.md) and
// must be authorized with role worker. A job's file_path is read only under
// the roots of --file-root, else the config's [files] roots; with none,
// every file_path fails (PROTOCOL.md, "file_path confinement"). It runs
// --nice levels (default 10) below the priority it was started with, all
// its threads and the exec engine's commands, so that a worker beside the
// nodes on a small machine cannot starve their heartbeats.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "bus/escaped_log_format.h"
#include "bus/signal_flags.h"
#include "protocol/limits.h"
#include "src/client/tool_config.h"
#include "src/config/file_roots.h"
#include "src/config/listen_address.h"
#include "src/metrics/metrics_listener.h"
#include "src/metrics/worker_metrics.h"
#include "src/worker/builtin_engine.h"
#include "src/worker/exec_engine.h"
#include "src/worker/noop_engine.h"
#include "src/worker/thread_priority.h"
#include "src/worker/worker.h"

int main(int argc, char** argv) {
  CLI::App app{"slurp-worker: generates contexts for a slurp cluster"};
  slurp::client::ToolFlags flags;
  std::size_t concurrency = std::max(1u, std::thread::hardware_concurrency());
  std::string name;
  // $SLURP_ENGINE lets scripts that start workers choose (slurp-bench
  // measures the pipeline with noop); --engine wins over it.
  const char* engine_env = std::getenv("SLURP_ENGINE");
  std::string engine = engine_env && *engine_env ? engine_env : "builtin";
  std::string log_level = "info";
  slurp::worker::ExecOptions exec;
  auto engine_problem = [](const std::string& value) -> std::string {
    if (value == "builtin" || value == "noop") return "";
    if (value.starts_with("exec:") && value.size() > 5) return "";
    return "want builtin, noop or exec:CMD (got '" + value + "')";
  };
  app.add_option("--config", flags.config,
                 "cluster.toml (else $SLURP_CONFIG, else ./cluster.toml)");
  app.add_option("--key", flags.key,
                 "our secret key file (else $SLURP_KEY, else client_key)");
  app.add_option("--concurrency", concurrency, "engine threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--name", name,
                 "how results name this worker "
                 "(default: host:pid)");
  app.add_option("--engine", engine,
                 "builtin (analyses the file), noop (records only address, "
                 "hash and size) or exec:CMD (runs `/bin/sh -c CMD` per job: "
                 "the job as JSON on stdin, the context as JSON on stdout; "
                 "PROTOCOL.md, \"Exec engine\"); default $SLURP_ENGINE, else "
                 "builtin")
      ->capture_default_str()
      ->check(engine_problem, "builtin|noop|exec:CMD");
  std::size_t content_bytes_max = slurp::limits::content_bytes_max;
  app.add_option("--content-bytes-max", content_bytes_max,
                 "builtin: files bigger than this get a small 'huge' context "
                 "instead of an analysis (files read by path may exceed the "
                 "3 MiB a request carries inline); a file_path over it is "
                 "never read; exec: it fails the attempt")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  app.add_option("--exec-timeout-ms", exec.timeout_ms,
                 "exec engine: kill a command (and its process group) "
                 "running longer, and fail the attempt; keep it under the "
                 "cluster's job_lease_ms")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, slurp::limits::exec_timeout_ms_max));
  app.add_option("--exec-output-bytes-max", exec.output_bytes_max,
                 "exec engine: fail the attempt when a command prints more")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{2},
                         slurp::limits::exec_output_bytes_max_allowed));
  app.add_option("--exec-engine-version", exec.version,
                 "exec engine: the engine_version its contexts carry (say "
                 "which model or prompt made them)")
      ->capture_default_str();
  std::vector<std::string> file_roots;
  app.add_option("--file-root", file_roots,
                 "a directory under which a job's file_path may be read "
                 "(repeat for several; replaces cluster.toml's [files] "
                 "roots; none: every file_path is refused)")
      ->check([](const std::string& root) {
        auto problem = slurp::config::file_root_problem(root);
        return problem ? *problem : std::string();
      });
  int nice = slurp::worker::WorkerOptions::nice_increment_default;
  app.add_option("--nice", nice,
                 "run this many nice levels below the priority we were "
                 "started with (0: the same), so nodes on the same machine "
                 "keep the CPU their heartbeats need")
      ->capture_default_str()
      ->check(CLI::Range(0, slurp::worker::thread_nice_max));
  std::string metrics_listen;
  app.add_option("--metrics-listen", metrics_listen,
                 "HOST:PORT for Prometheus /metrics, /healthz and /readyz "
                 "over HTTP (default: [[workers]] metrics_listen of the entry "
                 "whose id is --name; none)")
      ->check([](const std::string& text) {
        auto problem = slurp::config::listen_address_problem(text);
        return problem ? *problem : std::string();
      });
  app.add_flag("--insecure", flags.insecure, "plaintext (test clusters only)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")
      ->capture_default_str();
  app.footer(
      "Exit status: 0 stopped by SIGTERM/SIGINT; 1 cannot start; 2 usage or "
      "configuration error.");
  CLI11_PARSE(app, argc, argv);
  // CLI11 checks only what was given; $SLURP_ENGINE is checked here.
  if (std::string problem = engine_problem(engine); !problem.empty()) {
    std::fprintf(stderr, "slurp-worker: $SLURP_ENGINE: %s\n", problem.c_str());
    return 2;
  }

  auto logger = spdlog::stderr_color_mt("slurp-worker");
  // spdlog's default pattern, with the message escaped.
  slurp::bus::use_escaped_log_format(*logger,
                                     "[%Y-%m-%d %H:%M:%S.%e] [%n] [%^%l%$] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));
  auto tool =
      slurp::client::load_tool_config(flags, slurp::config::process_getenv);
  if (!tool) {
    spdlog::error("bad configuration: {}", tool.error().describe());
    return 2;
  }
  if (name.empty()) {
    char host[256] = {};
    (void)gethostname(host, sizeof host - 1);
    name = std::string(host) + ":" + std::to_string(getpid());
  }
  slurp::worker::WorkerOptions options;
  options.name = name;
  options.keys = tool->keys;
  options.insecure = tool->insecure;
  options.concurrency = concurrency;
  for (const auto& node : tool->nodes) {
    options.nodes.push_back(slurp::worker::WorkerNode{
        node.id, node.jobs_endpoint, node.results_endpoint, node.public_key_z85,
        node.events_endpoint});
  }
  if (file_roots.empty()) file_roots = tool->file_roots;
  if (auto problem = slurp::config::file_roots_problem(file_roots)) {
    spdlog::error("--file-root: {}", *problem);
    return 2;
  }
  // Before any other thread exists: the signal thread, libzmq's I/O threads and
  // the engine threads inherit the main thread's priority, so the whole process
  // runs lower and the Worker itself has nothing left to lower.
  (void)slurp::worker::lower_this_thread_priority_to(
      slurp::worker::this_thread_nice() + nice);
  options.nice_increment = 0;
  if (auto s = slurp::bus::install_signal_handlers(); !s) {
    spdlog::error("{}", s.error().describe());
    return 1;
  }
  zmq::context_t context;
  std::shared_ptr<slurp::worker::Engine> chosen;
  if (engine == "noop") {
    chosen = std::make_shared<slurp::worker::NoopEngine>();
  } else if (engine.starts_with("exec:")) {
    exec.command = engine.substr(5);
    exec.file_roots = file_roots;
    exec.content_bytes_max = content_bytes_max;
    chosen = std::make_shared<slurp::worker::ExecEngine>(exec);
  } else {
    chosen = std::make_shared<slurp::worker::BuiltinEngine>(content_bytes_max,
                                                            file_roots);
  }
  slurp::worker::Worker worker(context, options, chosen);
  if (auto s = worker.connect(); !s) {
    spdlog::error("cannot start: {}", s.error().describe());
    return 1;
  }
  if (auto it = tool->worker_metrics_listen.find(name);
      metrics_listen.empty() && it != tool->worker_metrics_listen.end()) {
    metrics_listen = it->second;
  }
  // Declared after the worker, so it stops (and stops reading the
  // worker's counters) first.
  std::unique_ptr<slurp::metrics::MetricsListener> listener;
  if (!metrics_listen.empty()) {
    auto metrics = std::make_shared<slurp::metrics::WorkerMetrics>(
        name, options.nodes.size(), worker.counters());
    auto health = [metrics](std::uint64_t) { return metrics->health(); };
    auto started = slurp::metrics::MetricsListener::start(
        *slurp::config::parse_listen_address(metrics_listen), metrics, health,
        health);
    if (!started) {
      spdlog::error("cannot start: {}", started.error().describe());
      return 1;
    }
    listener = std::move(*started);
    spdlog::info("metrics on http://{}/metrics", metrics_listen);
  }
  spdlog::info(
      "worker {} serving {} nodes with {} engine threads at nice {} ({} "
      "engine {}); file_path {}",
      name, options.nodes.size(), concurrency,
      slurp::worker::this_thread_nice(), chosen->name(), chosen->version(),
      file_roots.empty() ? std::string("refused (no --file-root, no [files] "
                                       "roots)")
                         : "read under " + std::to_string(file_roots.size()) +
                               " root(s), the first " + file_roots.front());
  std::thread watcher([&] {
    while (!slurp::bus::stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    worker.stop();
  });
  worker.run();
  watcher.join();
  spdlog::info(
      "worker {} stopped: {} jobs done, {} failed, {} cancelled, {} given up "
      "at stop",
      name, worker.counters().jobs_done.load(),
      worker.counters().jobs_failed.load(),
      worker.counters().jobs_cancelled.load(),
      worker.counters().jobs_abandoned.load());
  return 0;
}
