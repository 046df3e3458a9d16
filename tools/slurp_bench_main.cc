// slurp-bench: throughput, latency and memory of a local 3-node cluster
// with CURVE and fsync on, as a client sees them. A benchmark, not a test:
// it prints what it measures (one `name=value` line per figure on stdout,
// progress on stderr) and judges nothing.
//
// Each phase gets a fresh cluster from tools/cluster (under --dir, else a
// temporary directory), torn down afterwards unless --keep:
//   enqueue  0 workers: C clients pipeline generate requests to the leader
//            for --seconds (or --requests); acked_enqueues_per_s and the
//            p50/p99 send->generate_reply latency.
//   jobs     W workers (noop engine): --jobs requests, then status polls
//            until that many jobs completed; jobs_per_s from the first
//            send to the poll that saw the last completion.
//   memory   0 workers: the leader's VmRSS before and after --queued jobs
//            wait in its queue; bytes_per_queued_job.
//   store    0 workers: --contexts synthetic contexts of about 2 KB (20
//            symbols, 8 imports, a summary) stored with update_context in
//            two halves, every node's VmRSS read before, between and
//            after; then --gets random gets, an export (list pages over
//            the whole prefix) and a follower SIGKILLed and restarted with
//            tools/cluster restart. contexts_stored_per_s,
//            rss_per_stored_context_bytes (the worst node's RSS growth
//            over the second half per context stored in it, so only what
//            grows with the store counts), get_p50_ms/get_p99_ms,
//            export_contexts_per_s, snapshot_bytes (the leader's newest
//            snapshot file), restart_to_leader_known_ms, loop_turn_max_ms
//            (the worst of every node's status loop_turn_recent_max_ms,
//            sampled every 0.5 s) and elections (tools/bench/
//            store_phase.h). Not in the default --phases: a million
//            contexts take a while; --contexts 20000 is a quick look.
//   engine   no cluster: the built-in engine over each --tree on one
//            thread, then `cloc` over the same files, in the same run;
//            files/s and MB/s (10^6 bytes) of both and the engine's
//            files/s as a multiple of cloc's (tools/bench/engine_bench.h),
//            plus both tools' CPU seconds, which a busy machine leaves
//            comparable. Not in the default --phases: cloc alone takes
//            about a minute on /usr/include. Links the worker library, not
//            just the client one: what it measures is the engine itself.
//
// Requesters: the queue gives each requester (key name) at most a quarter
// of queue_depth_max (requester_jobs_max), so one `dev` key could queue
// only 25,000 jobs. The bench therefore adds --requesters - 1 developer
// keys (bench2, bench3, ...) next to `dev` the way an operator would
// (authorized_keys + SIGHUP) and spreads the clients over them. The total
// (queue_depth_max, 100,000) can be raised with --limit, which goes to
// tools/cluster up.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "bus/signal_flags.h"
#include "src/client/client.h"
#include "src/client/cluster_call.h"
#include "src/client/tool_config.h"
#include "tools/bench/engine_bench.h"
#include "tools/bench/load_driver.h"
#include "tools/bench/local_cluster.h"
#include "tools/bench/report.h"
#include "tools/bench/store_phase.h"

namespace {

namespace bench = slurp::bench;
namespace fs = std::filesystem;
using bench::Clock;
using bench::figure;
using bench::fixed;
using bench::progress;
using slurp::ErrorCode;
using slurp::Result;
using slurp::Status;

enum Exit : int {
  exit_ok = 0,
  exit_failed = 1,  // a cluster did not start, nothing was acknowledged,
                    // or an engine --tree could not be read
  exit_usage = 2,
  exit_interrupted = 130,
};

constexpr const char* kExitCodes =
    "Exit codes: 0 every phase ran and had requests acknowledged (engine: "
    "every --tree was read); 1 a cluster could not be started, a phase had "
    "none acknowledged, or a --tree could not be read; 2 usage; 130 "
    "interrupted.";

constexpr int cluster_nodes = 3;
// Phase i uses base port + i * phase_port_stride, so clusters kept with
// --keep never collide.
constexpr int phase_port_stride = 100;
constexpr auto key_reload_wait = std::chrono::seconds(10);
constexpr auto status_poll_interval = std::chrono::milliseconds(20);
// The jobs phase gives up when the completed count stands still this long.
constexpr auto jobs_stall_max = std::chrono::seconds(60);
// Between the last acknowledgement and the second RSS reading, so that
// work the leader defers (a snapshot) is counted.
constexpr auto memory_settle = std::chrono::seconds(1);

struct Flags {
  std::string dir;  // "": a temporary directory
  std::string phases = "enqueue,jobs,memory";
  std::size_t clients = 64;
  std::size_t pipeline = 8;
  std::uint64_t seconds = 10;
  std::uint64_t requests = 0;  // enqueue phase: a count instead of --seconds
  std::uint64_t jobs = 20000;
  std::uint64_t queued = 100000;
  std::uint64_t contexts = 1000000;  // store phase
  std::uint64_t gets = 10000;        // store phase
  int workers = 2;
  std::size_t requesters = 4;
  int base_port = 27100;
  std::vector<std::string> limits;  // tools/cluster up --limit KEY=VALUE
  std::vector<std::string> trees = {"/usr/include"};  // engine phase
  std::string cloc = "cloc";                          // engine phase
  bool keep = false;
  std::string cluster_script = std::string(SLURP_SOURCE_DIR) + "/tools/cluster";
};

// A phase's cluster, its leader and the keys the clients use.
struct Session {
  bench::LocalCluster cluster;
  slurp::client::ToolConfig tool;  // dev's key; the leader's status
  slurp::client::NodeTarget leader;
  std::vector<slurp::bus::CurveKeyPair> keys;  // one per requester
  std::uint64_t term_start = 0;                // when the phase began
};

// The cluster's status as the leader sees it (any node forwards there).
Result<slurp::StatusReply> cluster_status(
    zmq::context_t& context, const slurp::client::ToolConfig& tool) {
  auto answer =
      slurp::client::call_cluster(context, tool, slurp::StatusRequest{},
                                  slurp::client::ClusterCallOptions{});
  if (!answer) return answer.error();
  auto* status = std::get_if<slurp::StatusReply>(&answer->reply);
  if (status == nullptr || !status->leader) {
    return slurp::make_error(ErrorCode::no_quorum,
                             "no leader named by " + answer->endpoint);
  }
  return std::move(*status);
}

// Waits until the leader admits `key` under its name: the SIGHUP reload
// has happened.
Status wait_for_key(zmq::context_t& context, const Session& s,
                    const bench::ExtraKey& key) {
  const auto deadline = Clock::now() + key_reload_wait;
  slurp::client::ClientOptions options =
      s.tool.client_options(s.leader, std::chrono::milliseconds(1000),
                            std::chrono::milliseconds(500));
  options.keys = key.keys;
  while (Clock::now() < deadline) {
    auto client = slurp::client::Client::connect(context, options);
    if (!client) return client.error();
    auto pong = (*client)->ping();
    if (pong && pong->peer_name == key.name) return slurp::ok_status();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return slurp::make_error(ErrorCode::timeout,
                           "the leader did not admit key " + key.name);
}

// dev's key plus requesters - 1 fresh developer keys, authorized.
Status add_requesters(zmq::context_t& context, const Flags& f, Session& s) {
  s.keys = {s.tool.keys};
  std::vector<bench::ExtraKey> extra;
  for (std::size_t i = 2; i <= f.requesters; ++i) {
    auto pair = slurp::bus::generate_curve_keypair();
    if (!pair) return pair.error();
    extra.push_back({"bench" + std::to_string(i), "developer", *pair});
    s.keys.push_back(*pair);
  }
  if (extra.empty()) return slurp::ok_status();
  if (Status st = bench::authorize_keys(s.cluster, extra); !st) return st;
  for (const auto& key : extra) {
    if (Status st = wait_for_key(context, s, key); !st) return st;
  }
  return slurp::ok_status();
}

Status connect_session(zmq::context_t& context, const Flags& f, Session& s) {
  slurp::client::ToolFlags tool_flags;
  tool_flags.config = s.cluster.config().string();
  tool_flags.key = (s.cluster.dir / "keys" / "dev.key").string();
  auto tool = slurp::client::load_tool_config(tool_flags,
                                              slurp::config::process_getenv);
  if (!tool) return tool.error();
  s.tool = std::move(*tool);
  auto status = cluster_status(context, s.tool);
  if (!status) return status.error();
  const auto* node = s.tool.find_node(*status->leader);
  if (node == nullptr) {
    return slurp::make_error(ErrorCode::internal, "leader " + *status->leader +
                                                      " is not in the config");
  }
  s.leader = *node;
  s.term_start = status->term;
  return add_requesters(context, f, s);
}

Result<Session> open_session(zmq::context_t& context, const Flags& f,
                             const fs::path& root, const std::string& phase,
                             int phase_index, int workers) {
  Session s;
  s.cluster.script = f.cluster_script;
  s.cluster.dir = root / phase;
  s.cluster.log = root / (phase + "-cluster.log");
  s.cluster.nodes = cluster_nodes;
  s.cluster.workers = workers;
  s.cluster.base_port = f.base_port + phase_index * phase_port_stride;
  s.cluster.limits = f.limits;
  progress(phase + ": starting " + std::to_string(cluster_nodes) +
           " nodes and " + std::to_string(workers) + " workers in " +
           s.cluster.dir.string());
  if (Status st = bench::cluster_up(s.cluster); !st) return st.error();
  if (Status st = connect_session(context, f, s); !st) {
    (void)bench::cluster_down(s.cluster);
    return st.error();
  }
  progress(phase + ": leader " + s.leader.id + " at " + s.leader.api_endpoint);
  return s;
}

void close_session(const Flags& f, const Session& s, const std::string& phase) {
  if (f.keep) {
    progress(phase +
             ": kept running; stop it with: " + s.cluster.script.string() +
             " down --dir " + s.cluster.dir.string());
    return;
  }
  if (Status st = bench::cluster_down(s.cluster); !st) {
    progress(phase + ": " + st.error().describe());
  }
}

bench::LoadOptions load_options(const Flags& f, const Session& s,
                                const std::string& tag) {
  bench::LoadOptions o;
  o.endpoint = s.leader.api_endpoint;
  o.server_public_z85 = s.leader.public_key_z85;
  o.keys = s.keys;
  o.clients = f.clients;
  o.pipeline = f.pipeline;
  o.tag = tag;
  return o;
}

// Prints `<prefix>_errors` and, when there were any, one line per kind.
void print_errors(const std::string& prefix, const bench::LoadResult& r) {
  figure(prefix + "_errors", std::to_string(r.error_total()));
  for (const auto& [name, count] : r.errors) {
    figure(prefix + "_error_" + name, std::to_string(count));
  }
}

// Connects, runs and reports trouble; nullopt when nothing can be measured.
std::optional<bench::LoadResult> drive(bench::LoadDriver& driver,
                                       const std::string& phase) {
  if (Status st = driver.connect(); !st) {
    progress(phase + ": " + st.error().describe());
    return std::nullopt;
  }
  bench::LoadResult r = driver.run(slurp::bus::stop_requested);
  progress(phase + ": sent " + std::to_string(r.sent) + ", acknowledged " +
           std::to_string(r.acked) + ", errors " +
           std::to_string(r.error_total()));
  std::string timeline;
  for (std::uint64_t n : r.acked_per_second) {
    timeline += " " + std::to_string(n);
  }
  progress(phase + ": acknowledged per second:" + timeline);
  if (r.acked == 0) {
    progress(phase + ": no request was acknowledged");
    return std::nullopt;
  }
  return r;
}

int run_enqueue(zmq::context_t& context, const Flags& f, const Session& s) {
  bench::LoadOptions o = load_options(f, s, "enqueue");
  if (f.requests > 0) {
    o.requests = f.requests;
  } else {
    o.duration = std::chrono::seconds(f.seconds);
  }
  bench::LoadDriver driver(context, o);
  auto r = drive(driver, "enqueue");
  if (!r) return exit_failed;
  figure("acked_enqueues_per_s", fixed(r->acked_per_s(), 0));
  figure("ack_latency_p50_ms", fixed(r->latency_ms(0.50), 2));
  figure("ack_latency_p99_ms", fixed(r->latency_ms(0.99), 2));
  figure("enqueue_acked", std::to_string(r->acked));
  figure("errors", std::to_string(r->error_total()));
  print_errors("enqueue", *r);
  return exit_ok;
}

struct JobCounts {
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
};

Result<JobCounts> job_counts(slurp::client::Client& client) {
  auto status = client.status();
  if (!status) return status.error();
  JobCounts counts;
  for (const auto& q : status->queue) {
    counts.completed += q.completed;
    counts.failed += q.failed;
  }
  return counts;
}

// Polls the leader until `target` jobs ended (completed or failed); the
// time of the poll that saw it, or nullopt when they stalled.
std::optional<Clock::time_point> wait_for_jobs(slurp::client::Client& client,
                                               std::uint64_t target,
                                               JobCounts& counts) {
  auto last_change = Clock::now();
  for (;;) {
    if (slurp::bus::stop_requested()) return std::nullopt;
    auto now_counts = job_counts(client);
    const auto now = Clock::now();
    if (now_counts) {
      if (now_counts->completed + now_counts->failed !=
          counts.completed + counts.failed) {
        last_change = now;
      }
      counts = *now_counts;
      if (counts.completed + counts.failed >= target) return now;
    } else {
      progress("jobs: status: " + now_counts.error().describe());
    }
    if (now - last_change > jobs_stall_max) return std::nullopt;
    std::this_thread::sleep_for(status_poll_interval);
  }
}

int run_jobs(zmq::context_t& context, const Flags& f, const Session& s) {
  auto client = slurp::client::Client::connect(
      context, s.tool.client_options(s.leader, std::chrono::seconds(5)));
  if (!client) {
    progress("jobs: " + client.error().describe());
    return exit_failed;
  }
  bench::LoadOptions o = load_options(f, s, "jobs");
  o.requests = f.jobs;
  bench::LoadDriver driver(context, o);
  auto r = drive(driver, "jobs");
  if (!r) return exit_failed;
  JobCounts counts;
  auto done = wait_for_jobs(**client, r->acked, counts);
  figure("jobs_submitted", std::to_string(r->acked));
  figure("jobs_completed", std::to_string(counts.completed));
  figure("jobs_failed", std::to_string(counts.failed));
  print_errors("jobs", *r);
  if (!done) {
    progress("jobs: stopped waiting; " + std::to_string(counts.completed) +
             " of " + std::to_string(r->acked) + " completed");
    return exit_failed;
  }
  const std::chrono::duration<double> took = *done - r->first_send;
  figure("jobs_submit_per_s", fixed(r->acked_per_s(), 0));
  figure("jobs_seconds", fixed(took.count(), 2));
  figure("jobs_per_s", fixed(static_cast<double>(r->acked) / took.count(), 0));
  return exit_ok;
}

int run_memory(zmq::context_t& context, const Flags& f, const Session& s) {
  auto pid = bench::read_pid(s.cluster, s.leader.id);
  if (!pid) {
    progress("memory: no pid file for leader " + s.leader.id);
    return exit_failed;
  }
  bench::LoadOptions o = load_options(f, s, "memory");
  o.requests = f.queued;
  bench::LoadDriver driver(context, o);
  if (Status st = driver.connect(); !st) {
    progress("memory: " + st.error().describe());
    return exit_failed;
  }
  // Measured with every client connected, so their buffers are in both.
  const auto before = bench::proc_status_kib(*pid, "VmRSS");
  bench::LoadResult r = driver.run(slurp::bus::stop_requested);
  std::this_thread::sleep_for(memory_settle);
  const auto after = bench::proc_status_kib(*pid, "VmRSS");
  const auto peak = bench::proc_status_kib(*pid, "VmHWM");
  if (!before || !after || r.acked == 0) {
    progress("memory: nothing measured (acknowledged " +
             std::to_string(r.acked) + ")");
    return exit_failed;
  }
  figure("rss_before_kib", std::to_string(*before));
  figure("rss_after_kib", std::to_string(*after));
  if (peak) figure("rss_peak_kib", std::to_string(*peak));
  figure("memory_queued", std::to_string(r.acked));
  const double growth =
      static_cast<double>(*after) - static_cast<double>(*before);
  figure("bytes_per_queued_job",
         fixed(growth * 1024.0 / static_cast<double>(r.acked), 0));
  print_errors("memory", r);
  return exit_ok;
}

int run_store(zmq::context_t& context, const Flags& f, const Session& s) {
  bench::StoreRun run;
  run.cluster = &s.cluster;
  run.tool = s.tool;
  run.leader = s.leader;
  run.load = load_options(f, s, "store");
  run.contexts = f.contexts;
  run.gets = f.gets;
  run.term_start = s.term_start;
  return bench::run_store(context, run) ? exit_ok : exit_failed;
}

double per_s(double amount, double seconds) {
  return seconds > 0 ? amount / seconds : 0;
}

// The engine phase for one tree: figures on stdout, and the one-line
// result (key=value pairs) appended to `results`.
int run_engine_tree(const Flags& f, const fs::path& root,
                    const std::string& tree_path,
                    std::vector<std::string>& results) {
  progress("engine: reading " + tree_path);
  // The walk and the reads, timed: added to the engine's own time they
  // make a figure like cloc's, whose process reads the files itself.
  const auto read_start = std::chrono::steady_clock::now();
  auto tree = bench::load_engine_tree(tree_path, bench::EngineTreeLimits{});
  const double read_seconds = std::chrono::duration<double>(
                                  std::chrono::steady_clock::now() - read_start)
                                  .count();
  if (!tree) {
    progress("engine: " + tree.error().describe());
    return exit_failed;
  }
  const auto files = static_cast<double>(tree->jobs.size());
  const double mb = static_cast<double>(tree->bytes) / 1e6;
  figure("engine_tree", tree_path);
  figure("engine_files", std::to_string(tree->jobs.size()));
  figure("engine_mb", fixed(mb, 1));
  figure("engine_skipped_large", std::to_string(tree->skipped_large));
  progress("engine: built-in engine over " + std::to_string(tree->jobs.size()) +
           " files");
  const bench::EngineRun ours = bench::run_builtin_engine(*tree);
  figure("engine_builtin_seconds", fixed(ours.seconds, 3));
  figure("engine_builtin_cpu_seconds", fixed(ours.cpu_seconds, 3));
  figure("engine_builtin_files_per_s", fixed(per_s(files, ours.seconds), 0));
  figure("engine_builtin_mb_per_s", fixed(per_s(mb, ours.seconds), 1));
  figure("engine_builtin_files_with_language",
         std::to_string(ours.files_with_language));
  figure("engine_builtin_errors", std::to_string(ours.errors));
  const double whole_seconds = ours.seconds + read_seconds;
  figure("engine_read_seconds", fixed(read_seconds, 3));
  figure("engine_builtin_with_reading_files_per_s",
         fixed(per_s(files, whole_seconds), 0));
  std::string result =
      "engine_result tree=" + tree_path +
      " files=" + std::to_string(tree->jobs.size()) + " mb=" + fixed(mb, 1) +
      " builtin_files_per_s=" + fixed(per_s(files, ours.seconds), 0) +
      " builtin_mb_per_s=" + fixed(per_s(mb, ours.seconds), 1);
  progress("engine: cloc over the same files");
  auto cloc = bench::run_cloc(*tree, f.cloc, root);
  if (!cloc) {
    progress("engine: " + cloc.error().describe());
    results.push_back(result + " cloc=unavailable");
    return exit_ok;
  }
  const double ratio = per_s(cloc->seconds, ours.seconds);
  const double whole_ratio = per_s(cloc->seconds, whole_seconds);
  figure("engine_cloc_seconds", fixed(cloc->seconds, 3));
  figure("engine_cloc_cpu_seconds", fixed(cloc->cpu_seconds, 3));
  figure("engine_cloc_files_per_s", fixed(per_s(files, cloc->seconds), 0));
  figure("engine_cloc_mb_per_s", fixed(per_s(mb, cloc->seconds), 1));
  figure("engine_cloc_files_counted", std::to_string(cloc->files_counted));
  figure("engine_cloc_exit_code", std::to_string(cloc->exit_code));
  // Same files for both, so the files/s and MB/s ratios are one figure.
  figure("engine_files_per_s_vs_cloc", fixed(ratio, 1));
  figure("engine_with_reading_files_per_s_vs_cloc", fixed(whole_ratio, 1));
  const double cpu_ratio = per_s(cloc->cpu_seconds, ours.cpu_seconds);
  figure("engine_cpu_vs_cloc", fixed(cpu_ratio, 1));
  results.push_back(
      result + " cloc_files_per_s=" + fixed(per_s(files, cloc->seconds), 0) +
      " cloc_mb_per_s=" + fixed(per_s(mb, cloc->seconds), 1) +
      " files_per_s_vs_cloc=" + fixed(ratio, 1) + " with_reading_vs_cloc=" +
      fixed(whole_ratio, 1) + " cpu_vs_cloc=" + fixed(cpu_ratio, 1));
  return exit_ok;
}

int run_engine(const Flags& f, const fs::path& root) {
  std::vector<std::string> results;
  int rc = exit_ok;
  for (const std::string& tree : f.trees) {
    if (slurp::bus::stop_requested()) break;
    if (run_engine_tree(f, root, tree, results) != exit_ok) rc = exit_failed;
  }
  for (const std::string& line : results) std::cout << line << std::endl;
  return rc;
}

int run_phase(zmq::context_t& context, const Flags& f, const fs::path& root,
              const std::string& phase, int index) {
  if (phase == "engine") return run_engine(f, root);
  const int workers = phase == "jobs" ? f.workers : 0;
  auto session = open_session(context, f, root, phase, index, workers);
  if (!session) {
    progress(phase + ": " + session.error().describe());
    return exit_failed;
  }
  int rc = exit_failed;
  if (phase == "enqueue") rc = run_enqueue(context, f, *session);
  if (phase == "jobs") rc = run_jobs(context, f, *session);
  if (phase == "memory") rc = run_memory(context, f, *session);
  if (phase == "store") rc = run_store(context, f, *session);
  // Each election starts a new term: a phase without leader changes ends
  // in the term it began in.
  if (auto status = cluster_status(context, session->tool)) {
    figure(phase + "_elections",
           std::to_string(status->term - session->term_start));
  }
  close_session(f, *session, phase);
  return rc;
}

Result<std::vector<std::string>> parse_phases(const std::string& list) {
  std::vector<std::string> phases;
  std::istringstream in(list);
  for (std::string p; std::getline(in, p, ',');) {
    if (p != "enqueue" && p != "jobs" && p != "memory" && p != "store" &&
        p != "engine") {
      return slurp::make_error(
          ErrorCode::bad_request,
          "unknown phase '" + p + "' (enqueue, jobs, memory, store, engine)",
          "--phases");
    }
    phases.push_back(p);
  }
  if (phases.empty()) {
    return slurp::make_error(ErrorCode::bad_request, "no phase", "--phases");
  }
  return phases;
}

// The binaries tools/cluster runs: $SLURP_BIN_DIR, else the directory of
// this binary (a build's bin/ holds slurpd and slurpctl beside us).
void default_bin_dir() {
  if (std::getenv("SLURP_BIN_DIR") != nullptr) return;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) setenv("SLURP_BIN_DIR", self.parent_path().c_str(), 0);
}

Result<fs::path> make_root(const Flags& f) {
  if (!f.dir.empty()) {
    std::error_code ec;
    fs::create_directories(f.dir, ec);
    if (ec) {
      return slurp::make_error(ErrorCode::bad_request,
                               "cannot create " + f.dir + ": " + ec.message(),
                               "--dir");
    }
    return fs::absolute(f.dir);
  }
  std::string pattern =
      (fs::temp_directory_path() / "slurp-bench.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return slurp::make_error(ErrorCode::internal,
                             "cannot make a temporary directory");
  }
  return fs::path(pattern);
}

void print_configuration(const Flags& f) {
  std::cout << "nodes=" << cluster_nodes << " clients=" << f.clients
            << " pipeline=" << f.pipeline << " workers=" << f.workers
            << " fsync=on curve=on requesters=" << f.requesters;
  if (f.requests > 0) {
    std::cout << " requests=" << f.requests;
  } else {
    std::cout << " seconds=" << f.seconds;
  }
  std::cout << " jobs=" << f.jobs << " queued=" << f.queued
            << " contexts=" << f.contexts << " gets=" << f.gets << std::endl;
}

int run(const Flags& f) {
  auto phases = parse_phases(f.phases);
  if (!phases) {
    std::cerr << "slurp-bench: " << phases.error().describe() << "\n";
    return exit_usage;
  }
  if (Status st = slurp::bus::install_signal_handlers(); !st) {
    std::cerr << "slurp-bench: " << st.error().describe() << "\n";
    return exit_failed;
  }
  default_bin_dir();
  auto root = make_root(f);
  if (!root) {
    std::cerr << "slurp-bench: " << root.error().describe() << "\n";
    return exit_usage;
  }
  if (std::any_of(phases->begin(), phases->end(),
                  [](const std::string& p) { return p != "engine"; }))
    print_configuration(f);
  zmq::context_t context;
  int rc = exit_ok;
  for (std::size_t i = 0; i < phases->size(); ++i) {
    if (slurp::bus::stop_requested()) break;
    const int phase_rc =
        run_phase(context, f, *root, (*phases)[i], static_cast<int>(i));
    if (phase_rc != exit_ok) rc = phase_rc;
  }
  if (f.dir.empty() && !f.keep && rc == exit_ok) {
    std::error_code ec;
    fs::remove_all(*root, ec);
  } else if (f.dir.empty()) {
    progress("logs and data kept in " + root->string());
  }
  return slurp::bus::stop_requested() ? exit_interrupted : rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "slurp-bench: acknowledged enqueues/s, ack latency, end-to-end jobs/s, "
      "memory per queued job and (--phases store) a growing store of a local "
      "3-node cluster (CURVE, fsync)"};
  app.footer(kExitCodes);
  Flags f;
  app.add_option("--dir", f.dir,
                 "where the clusters live (default: a temporary directory, "
                 "removed afterwards unless --keep)");
  app.add_option("--phases", f.phases, "comma-separated, run in this order")
      ->capture_default_str();
  app.add_option("--clients", f.clients, "concurrent DEALER clients")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--pipeline", f.pipeline, "requests in flight per client")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--seconds", f.seconds, "enqueue phase: how long to send")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  app.add_option("--requests", f.requests,
                 "enqueue phase: send this many instead of --seconds")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--jobs", f.jobs, "jobs phase: jobs to submit and complete")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  app.add_option("--queued", f.queued, "memory phase: jobs left queued")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  app.add_option("--contexts", f.contexts,
                 "store phase: synthetic contexts to store (about 2 KB "
                 "each)")
      ->capture_default_str()
      ->check(CLI::Range(2, 100000000));
  app.add_option("--gets", f.gets,
                 "store phase: random gets of stored contexts afterwards")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  app.add_option("--workers", f.workers, "jobs phase: slurp-worker processes")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--requesters", f.requesters,
                 "developer keys the clients are spread over (dev, bench2, "
                 "...); each may queue a quarter of queue_depth_max")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--base-port", f.base_port,
                 "first cluster's base port; phase i adds 100 * i")
      ->capture_default_str()
      ->check(CLI::Range(1024, 65000));
  app.add_option("--cluster-script", f.cluster_script, "tools/cluster")
      ->capture_default_str();
  app.add_option("--limit", f.limits,
                 "KEY=VALUE: a [limits] key for the clusters (repeatable; "
                 "tools/cluster up --limit), e.g. queue_depth_max=400000");
  app.add_flag("--keep", f.keep, "leave the clusters running");
  app.add_option("--tree", f.trees,
                 "engine phase: a directory to analyse (repeatable)")
      ->capture_default_str();
  app.add_option("--cloc", f.cloc, "engine phase: the cloc to compare with")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  if (f.requesters > f.clients) f.requesters = f.clients;
  spdlog::set_level(spdlog::level::off);
  return run(f);
}
