#include "tools/bench/store_phase.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "bus/signal_flags.h"
#include "src/client/client.h"
#include "tools/bench/report.h"
#include "tools/bench/status_sampler.h"
#include "tools/bench/synthetic_context.h"

namespace slurp::bench {
namespace {

namespace fs = std::filesystem;

// Between the last acknowledgement and an RSS reading, so that work the
// nodes defer (applying, a snapshot) is counted.
constexpr auto rss_settle = std::chrono::seconds(1);
constexpr auto sample_interval = std::chrono::milliseconds(500);
constexpr auto sample_report_every = std::chrono::seconds(10);
// What `slurpctl export` asks per page.
constexpr std::uint64_t export_page_contexts = 500;
constexpr auto read_timeout = std::chrono::milliseconds(10000);
constexpr auto kill_deadline = std::chrono::seconds(10);
constexpr auto rejoin_deadline = std::chrono::seconds(60);
constexpr auto rejoin_poll = std::chrono::milliseconds(10);
constexpr std::uint64_t get_seed = 20261207;

using RssKib = std::map<std::string, std::uint64_t>;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// The p-quantile (nearest rank) of samples in µs, in ms.
double quantile_ms(std::vector<std::uint32_t> us, double p) {
  if (us.empty()) return 0;
  auto rank =
      static_cast<std::size_t>(std::ceil(p * static_cast<double>(us.size())));
  rank = std::clamp<std::size_t>(rank, 1, us.size());
  auto nth = us.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(us.begin(), nth, us.end());
  return static_cast<double>(*nth) / 1000.0;
}

RssKib read_rss(const StoreRun& run) {
  RssKib rss;
  for (const auto& node : run.tool.nodes) {
    auto pid = read_pid(*run.cluster, node.id);
    auto kib = pid ? proc_status_kib(*pid, "VmRSS") : std::nullopt;
    if (kib) rss[node.id] = *kib;
  }
  return rss;
}

void print_rss(const RssKib& rss, const std::string& when) {
  for (const auto& [node, kib] : rss) {
    figure("rss_bytes_" + node + "_" + when, std::to_string(kib * 1024));
  }
}

// Stores contexts [first, first + count) through the leader.
std::optional<LoadResult> store_range(zmq::context_t& context,
                                      const StoreRun& run, std::uint64_t first,
                                      std::uint64_t count,
                                      const std::string& tag) {
  LoadOptions o = run.load;
  o.requests = count;
  o.tag = tag;
  o.make_request = [first](std::uint64_t n) -> Message {
    return UpdateContext{n, synthetic_context(first + n - 1)};
  };
  LoadDriver driver(context, o);
  if (Status st = driver.connect(); !st) {
    progress("store: " + st.error().describe());
    return std::nullopt;
  }
  progress("store: storing contexts " + std::to_string(first) + ".." +
           std::to_string(first + count - 1));
  LoadResult r = driver.run(bus::stop_requested);
  std::string timeline;
  for (std::uint64_t n : r.acked_per_second)
    timeline += " " + std::to_string(n);
  progress("store: " + tag + ": stored " + std::to_string(r.acked) + " of " +
           std::to_string(count) + ", errors " +
           std::to_string(r.error_total()) + "; per second:" + timeline);
  return r;
}

struct Stored {
  LoadResult first, second;
  RssKib before, half, after;
};

std::optional<Stored> store_all(zmq::context_t& context, const StoreRun& run) {
  Stored s;
  s.before = read_rss(run);
  const std::uint64_t half = run.contexts / 2;
  auto first = store_range(context, run, 0, half, "store-1");
  if (!first || bus::stop_requested()) return std::nullopt;
  std::this_thread::sleep_for(rss_settle);
  s.half = read_rss(run);
  auto second = store_range(context, run, half, run.contexts - half, "store-2");
  if (!second) return std::nullopt;
  std::this_thread::sleep_for(rss_settle);
  s.after = read_rss(run);
  s.first = std::move(*first);
  s.second = std::move(*second);
  return s;
}

void print_stored(const Stored& s) {
  const std::uint64_t acked = s.first.acked + s.second.acked;
  const double took = seconds_between(s.first.first_send, s.first.last_ack) +
                      seconds_between(s.second.first_send, s.second.last_ack);
  figure("contexts_stored", std::to_string(acked));
  figure("contexts_stored_per_s",
         fixed(took > 0 ? static_cast<double>(acked) / took : 0, 0));
  std::vector<std::uint32_t> latencies = s.first.latencies_us;
  latencies.insert(latencies.end(), s.second.latencies_us.begin(),
                   s.second.latencies_us.end());
  figure("store_ack_p50_ms", fixed(quantile_ms(latencies, 0.50), 2));
  figure("store_ack_p99_ms", fixed(quantile_ms(latencies, 0.99), 2));
  figure("store_errors",
         std::to_string(s.first.error_total() + s.second.error_total()));
  for (const LoadResult* r : {&s.first, &s.second}) {
    for (const auto& [name, count] : r->errors) {
      figure("store_error_" + name, std::to_string(count));
    }
  }
  print_rss(s.before, "before");
  print_rss(s.half, "half");
  print_rss(s.after, "after");
  // The largest growth per context stored in the second half, over the
  // nodes (signed: memory may shrink).
  std::optional<double> worst;
  for (const auto& [node, after_kib] : s.after) {
    auto half = s.half.find(node);
    if (half == s.half.end() || s.second.acked == 0) continue;
    const double growth =
        (static_cast<double>(after_kib) - static_cast<double>(half->second)) *
        1024.0 / static_cast<double>(s.second.acked);
    worst = worst ? std::max(*worst, growth) : growth;
  }
  if (worst) figure("rss_per_stored_context_bytes", fixed(*worst, 0));
}

Result<std::unique_ptr<client::Client>> leader_client(zmq::context_t& context,
                                                      const StoreRun& run) {
  return client::Client::connect(
      context, run.tool.client_options(run.leader, read_timeout));
}

// --gets random stored addresses, one at a time.
void measure_gets(zmq::context_t& context, const StoreRun& run) {
  auto c = leader_client(context, run);
  if (!c) return progress("store: gets: " + c.error().describe());
  progress("store: " + std::to_string(run.gets) + " random gets");
  std::mt19937_64 random(get_seed);
  std::uniform_int_distribution<std::uint64_t> pick(0, run.contexts - 1);
  std::vector<std::uint32_t> latencies;
  std::map<std::string, std::uint64_t> errors;
  for (std::uint64_t i = 0; i < run.gets && !bus::stop_requested(); ++i) {
    GetContext get;
    get.address = synthetic_address(pick(random));
    const auto sent = Clock::now();
    auto reply = (*c)->exchange(get);
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        Clock::now() - sent);
    if (!reply) {
      ++errors[std::string(error_name(reply.error().code))];
    } else if (auto* e = std::get_if<ErrorReply>(&*reply)) {
      ++errors[e->name];
    } else {
      latencies.push_back(static_cast<std::uint32_t>(took.count()));
    }
  }
  figure("gets", std::to_string(latencies.size()));
  figure("get_p50_ms", fixed(quantile_ms(latencies, 0.50), 2));
  figure("get_p99_ms", fixed(quantile_ms(latencies, 0.99), 2));
  figure("get_max_ms", fixed(quantile_ms(latencies, 1.0), 2));
  std::uint64_t failed = 0;
  for (const auto& [name, count] : errors) {
    figure("get_error_" + name, std::to_string(count));
    failed += count;
  }
  figure("get_errors", std::to_string(failed));
}

// Pages through `list` over the whole prefix, as `slurpctl export` does.
void measure_export(zmq::context_t& context, const StoreRun& run) {
  auto c = leader_client(context, run);
  if (!c) return progress("store: export: " + c.error().describe());
  progress("store: export of " + std::string(kSyntheticPrefix));
  std::uint64_t contexts = 0, pages = 0;
  double page_max_ms = 0;
  std::string after;
  const auto start = Clock::now();
  while (!bus::stop_requested()) {
    ListContexts list;
    list.prefix = std::string(kSyntheticPrefix);
    list.after = after;
    list.limit = export_page_contexts;
    const auto sent = Clock::now();
    auto reply = (*c)->exchange(list);
    page_max_ms = std::max(page_max_ms, ms_between(sent, Clock::now()));
    const auto* page = reply ? std::get_if<ListReply>(&*reply) : nullptr;
    if (page == nullptr) {
      const auto* e = reply ? std::get_if<ErrorReply>(&*reply) : nullptr;
      figure("export_error",
             e ? e->name + ": " + e->message : reply.error().describe());
      break;
    }
    ++pages;
    contexts += page->contexts.size();
    if (!page->next_after) break;
    after = *page->next_after;
  }
  const double took = seconds_between(start, Clock::now());
  figure("export_contexts", std::to_string(contexts));
  figure("export_pages", std::to_string(pages));
  figure("export_contexts_per_s",
         fixed(took > 0 ? static_cast<double>(contexts) / took : 0, 0));
  figure("export_page_max_ms", fixed(page_max_ms, 1));
}

std::uint64_t file_bytes(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// The newest snapshot-<index>.bin of the leader's data directory (0 when
// none), and its databases with their WAL.
void print_disk(const StoreRun& run) {
  const fs::path dir = run.cluster->dir / "data" / run.leader.id;
  std::uint64_t newest_index = 0, snapshot = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("snapshot-") || !name.ends_with(".bin")) continue;
    const std::string digits = name.substr(9, name.size() - 13);
    std::uint64_t index = 0;
    try {
      index = std::stoull(digits);
    } catch (const std::exception&) {
      continue;
    }
    if (index >= newest_index) {
      newest_index = index;
      snapshot = file_bytes(entry.path());
    }
  }
  figure("snapshot_bytes", std::to_string(snapshot));
  for (const std::string db : {"raft.db", "contexts.db"}) {
    figure(
        db.substr(0, db.size() - 3) + "_db_bytes",
        std::to_string(file_bytes(dir / db) + file_bytes(dir / (db + "-wal"))));
  }
}

// Gone means no longer a running process: /proc/PID/cmdline reads empty
// for a zombie that nobody has reaped yet (the nodes are not our
// children), and is missing once it is reaped.
bool process_gone(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  return !in || in.peek() == std::ifstream::traits_type::eof();
}

// The restarted node's own status, on a fresh connection each time (the
// node is down at first, and a kept socket would back off).
std::optional<StatusReply> own_status(zmq::context_t& context,
                                      const StoreRun& run,
                                      const client::NodeTarget& node) {
  const auto wait = std::chrono::milliseconds(200);
  auto c = client::Client::connect(context,
                                   run.tool.client_options(node, wait, wait));
  if (!c) return std::nullopt;
  auto status = (*c)->status(/*stale=*/true);
  if (!status) return std::nullopt;
  return std::move(*status);
}

// SIGKILLs a follower, restarts it as tools/cluster started it, and times
// how long until it knows the leader and until it has caught up with the
// commit index the leader had when it was killed.
void measure_restart(zmq::context_t& context, const StoreRun& run,
                     std::uint64_t leader_commit) {
  const client::NodeTarget* follower = nullptr;
  for (const auto& node : run.tool.nodes) {
    if (node.id != run.leader.id) follower = &node;
  }
  auto pid = follower ? read_pid(*run.cluster, follower->id) : std::nullopt;
  if (!pid) return progress("store: restart: no follower pid file");
  progress("store: SIGKILL follower " + follower->id + " (pid " +
           std::to_string(*pid) + ") and restart it");
  ::kill(*pid, SIGKILL);
  const auto kill_by = Clock::now() + kill_deadline;
  while (!process_gone(*pid) && Clock::now() < kill_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto start = Clock::now();
  if (Status st = cluster_restart(*run.cluster, follower->id); !st) {
    return progress("store: restart: " + st.error().describe());
  }
  figure("restart_command_ms", fixed(ms_between(start, Clock::now()), 0));
  std::optional<Clock::time_point> leader_known, caught_up;
  const auto deadline = start + rejoin_deadline;
  while (!caught_up && Clock::now() < deadline && !bus::stop_requested()) {
    if (auto st = own_status(context, run, *follower)) {
      if (st->leader && !leader_known) leader_known = Clock::now();
      if (st->leader && st->commit_index >= leader_commit) {
        caught_up = Clock::now();
      }
    }
    std::this_thread::sleep_for(rejoin_poll);
  }
  figure("restart_to_leader_known_ms",
         leader_known ? fixed(ms_between(start, *leader_known), 0) : "never");
  figure("restart_to_caught_up_ms",
         caught_up ? fixed(ms_between(start, *caught_up), 0) : "never");
}

// The worst loop turn any node reported while the sampler ran, each
// node's since it started, and the elections: the term now less the term
// the phase began in.
void print_samples(const std::map<std::string, NodeSamples>& samples,
                   std::uint64_t store_peak_ms, const StoreRun& run) {
  std::uint64_t peak = 0, term = run.term_start;
  for (const auto& [node, s] : samples) {
    peak = std::max(peak, s.loop_turn_recent_max_ms_peak);
    if (!s.latest) continue;
    term = std::max(term, s.latest->term);
    figure("loop_turn_max_ms_" + node + "_since_start",
           std::to_string(s.latest->loop_turn_max_ms));
    figure("status_unanswered_" + node, std::to_string(s.unanswered));
  }
  figure("loop_turn_max_ms", std::to_string(peak));
  figure("loop_turn_max_ms_while_storing", std::to_string(store_peak_ms));
  figure("elections", std::to_string(term - run.term_start));
}

std::uint64_t peak_of(const std::map<std::string, NodeSamples>& samples) {
  std::uint64_t peak = 0;
  for (const auto& [node, s] : samples) {
    peak = std::max(peak, s.loop_turn_recent_max_ms_peak);
  }
  return peak;
}

}  // namespace

bool run_store(zmq::context_t& context, const StoreRun& run) {
  StatusSampler sampler(context, run.tool, "store", sample_interval,
                        sample_report_every);
  sampler.start();
  auto stored = store_all(context, run);
  const std::uint64_t store_peak_ms = peak_of(sampler.samples());
  if (!stored) {
    sampler.stop();
    return false;
  }
  print_stored(*stored);
  if (stored->first.acked + stored->second.acked == 0) {
    sampler.stop();
    return false;
  }
  measure_gets(context, run);
  measure_export(context, run);
  sampler.stop();
  const auto samples = sampler.samples();
  print_samples(samples, store_peak_ms, run);
  print_disk(run);
  std::uint64_t leader_commit = 0;
  for (const auto& [node, s] : samples) {
    if (s.latest)
      leader_commit = std::max(leader_commit, s.latest->commit_index);
  }
  measure_restart(context, run, leader_commit);
  return true;
}

}  // namespace slurp::bench
