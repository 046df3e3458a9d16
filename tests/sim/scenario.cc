#include "tests/sim/scenario.h"

#include <string>

#include "tests/sim/cluster.h"
#include "tests/sim/nemesis.h"

namespace slurp::sim {
namespace {

std::string ms_text(Micros us) {
  return std::to_string(us / kMicrosPerMs) + " ms";
}

// Realistic timings (tick 10 ms, election 150-300 ms, heartbeat 50 ms,
// fsync 1-5 ms) with limits drawn per seed, so batching, pipelining,
// chunked snapshots and the uncommitted bound all get exercised.
ClusterSettings draw_cluster_settings(const RunOptions& options, Prng& prng) {
  ClusterSettings s;
  s.node_count = options.nodes;
  s.fault = options.fault;
  s.raft.election_ticks_min = 15;
  s.raft.election_ticks_max = 30;
  s.raft.heartbeat_ticks = 5;
  // One or two entries per Append make a new leader replicate an older
  // term's entries apart from its own first entry: the window in which
  // committing by counting an older term's replicas (§3.6.2) is unsafe.
  const std::size_t entries[] = {1, 2, 2, 4, 64, 256};
  const std::size_t inflight[] = {1, 4, 8};
  const std::size_t chunks[] = {512, 4096, 65536};
  const std::size_t uncommitted[] = {64, 65536};
  s.raft.append_entries_max = entries[prng.below(6)];
  s.raft.inflight_appends_max = inflight[prng.below(3)];
  s.raft.snapshot_chunk_bytes_max = chunks[prng.below(3)];
  s.raft.uncommitted_entries_max = uncommitted[prng.below(2)];
  const double drifts[] = {0.0005, 0.0005, 0.02, 0.1};  // 0.05% .. 10%
  s.clock_drift_max = drifts[prng.below(4)];
  s.link.delay_us_min = 500;  // 1 ms +- 0.5 ms
  s.link.delay_us_max = 1500;
  s.clients.count = 1 + prng.below(4);
  if (options.pipeline) {
    PipelineSettings p;
    p.clients = 1 + prng.below(3);
    p.requests_per_client = 10 + prng.below(11);
    p.workers = 1 + prng.below(4);
    p.addresses = 4 + prng.below(9);
    const double losses[] = {0.0, 0.02, 0.1};
    p.push_loss = losses[prng.below(3)];
    p.result_loss = losses[prng.below(3)];
    p.worker_crash = losses[prng.below(3)];
    p.fault = options.pipeline_fault;
    s.pipeline = p;
  }
  return s;
}

std::string describe_progress(const Cluster& cluster) {
  std::string text;
  for (const SimNode* node : cluster.nodes()) {
    text += " " + node->name() + "=";
    if (!node->up()) {
      text += "down";
      continue;
    }
    text += std::string(consensus::raft_role_name(node->raft().role())) + "/t" +
            std::to_string(node->raft().term()) + "/applied " +
            std::to_string(node->state().applied_index());
  }
  return text;
}

bool all_applied(const Cluster& cluster, std::uint64_t index) {
  for (const SimNode* node : cluster.nodes()) {
    if (!node->up() || node->state().applied_index() < index) return false;
  }
  return true;
}

// Phase 2: after the heal, a new proposal must reach every node.
void run_liveness(Cluster& cluster, RunResult& result) {
  const Micros healed_at = cluster.now();
  cluster.heal();
  const bool live = cluster.run_until(
      [&] {
        auto ack = cluster.clients().first_ack_since(healed_at);
        return ack && all_applied(cluster, ack->index);
      },
      healed_at + kLivenessBoundUs);
  if (cluster.checker().failed()) return;
  if (!live) {
    result.liveness_failure =
        "no proposal made after the heal was applied on every node within " +
        ms_text(kLivenessBoundUs) + ":" + describe_progress(cluster);
    return;
  }
  result.liveness_ms =
      static_cast<double>(cluster.now() - healed_at) / kMicrosPerMs;
  cluster.checker().check_acknowledged_everywhere(cluster.nodes());
}

// A leader that has committed an entry of its own term.
std::optional<NodeIndex> settled_leader(const Cluster& cluster) {
  std::optional<NodeIndex> leader = cluster.leader();
  if (!leader) return std::nullopt;
  const SimNode& node = cluster.node(*leader);
  if (node.state().applied_term() != node.raft().term()) return std::nullopt;
  return leader;
}

std::size_t applied_above(const Cluster& cluster, std::uint64_t term) {
  std::size_t count = 0;
  for (const SimNode* node : cluster.nodes()) {
    if (node->up() && node->state().applied_term() > term) ++count;
  }
  return count;
}

}  // namespace

namespace {

// Phase 3, one episode: crash a settled leader, time the failover, then
// bring the node back and let it catch up.
std::optional<std::string> run_failover(Cluster& cluster, RunResult& result) {
  // A random offset so the crash lands anywhere in the heartbeat cycle.
  cluster.run_until(cluster.now() +
                    cluster.prng().between(0, 60 * kMicrosPerMs));
  if (!cluster.run_until([&] { return settled_leader(cluster).has_value(); },
                         cluster.now() + kLivenessBoundUs)) {
    return "no settled leader to crash within " + ms_text(kLivenessBoundUs) +
           ":" + describe_progress(cluster);
  }
  const NodeIndex old = *settled_leader(cluster);
  const std::uint64_t old_term = cluster.node(old).raft().term();
  const Micros crashed_at = cluster.now();
  cluster.trace().note(crashed_at, "failover episode: crash the leader");
  cluster.crash(old, cluster.prng().chance(0.5));
  if (!cluster.run_until(
          [&] {
            return applied_above(cluster, old_term) >= cluster.majority();
          },
          crashed_at + kFailoverBoundUs)) {
    if (cluster.checker().failed()) return std::nullopt;
    return "no new leader committed within " + ms_text(kFailoverBoundUs) +
           " of crashing " + node_name(old) + " (term " +
           std::to_string(old_term) + "):" + describe_progress(cluster);
  }
  result.failover_ms.push_back(static_cast<double>(cluster.now() - crashed_at) /
                               kMicrosPerMs);
  cluster.restart(old);
  const std::uint64_t target = cluster.checker().committed_index();
  if (!cluster.run_until([&] { return all_applied(cluster, target); },
                         cluster.now() + kLivenessBoundUs)) {
    if (cluster.checker().failed()) return std::nullopt;
    return "after the failover, not every node applied " +
           std::to_string(target) + " within " + ms_text(kLivenessBoundUs) +
           ":" + describe_progress(cluster);
  }
  return std::nullopt;
}

void summarize(const Cluster& cluster, const Nemesis& nemesis, RunSummary& s) {
  s.simulated_us = cluster.now();
  s.events = cluster.events();
  const CheckerCounters& checked = cluster.checker().counters();
  s.leaders_elected = checked.leaders_elected;
  s.highest_term = checked.highest_term;
  s.entries_applied = checked.entries_applied;
  s.acknowledged = checked.acknowledged;
  s.committed_index = cluster.checker().committed_index();
  const ClientCounters& clients = cluster.clients().counters();
  s.client_attempts = clients.attempts;
  s.client_timeouts = clients.timeouts;
  s.reads_served = clients.reads_served;
  for (const SimNode* node : cluster.nodes()) {
    s.crashes += node->counters().crashes;
    s.torn_records_dropped += node->counters().torn_records_dropped;
    s.compactions += node->counters().compactions;
    s.snapshots_restored += node->counters().snapshots_restored;
    s.inbox_dropped += node->counters().inbox_dropped;
  }
  s.nemesis_actions = nemesis.actions();
  const NetworkCounters& net = cluster.network().counters();
  s.packets_sent = net.sent;
  s.packets_dropped =
      net.dropped_random + net.dropped_overflow + net.dropped_cut;
  s.packets_duplicated = net.duplicated;
}

}  // namespace

RunResult run_seed(const RunOptions& options) {
  Prng prng(options.seed);
  Trace trace(options.verbose);
  Cluster cluster(draw_cluster_settings(options, prng), prng, trace);
  Nemesis nemesis(cluster, draw_fault_profile(prng));
  RunResult result;
  result.seed = options.seed;
  trace.note(0, "safety phase");
  cluster.start();
  nemesis.start();
  cluster.run_until(options.safety_us);
  nemesis.stop();
  if (!cluster.checker().failed()) {
    trace.note(cluster.now(), "liveness phase");
    run_liveness(cluster, result);
  }
  for (std::size_t i = 0;
       i < options.failovers && result.ok() && !cluster.checker().failed();
       ++i) {
    result.liveness_failure = run_failover(cluster, result);
  }
  if (result.ok() && !cluster.checker().failed()) {
    cluster.checker().check_acknowledged_everywhere(cluster.nodes());
  }
  if (SimPipeline* pipeline = cluster.pipeline();
      pipeline && result.ok() && !cluster.checker().failed()) {
    trace.note(cluster.now(), "pipeline drain");
    cluster.heal();
    pipeline->heal();
    const bool drained = cluster.run_until([&] { return pipeline->drained(); },
                                           cluster.now() + kDrainBoundUs);
    if (!cluster.checker().failed()) pipeline->check_end(drained);
    result.summary.pipeline = pipeline->counters();
  }
  result.violation = cluster.checker().violation();
  summarize(cluster, nemesis, result.summary);
  result.trace_hash = trace.hash();
  return result;
}

std::string replay_command(const RunOptions& options,
                           std::string_view program) {
  RunOptions defaults;
  std::string command = std::string(program) + " --seed " +
                        std::to_string(options.seed) + " --nodes " +
                        std::to_string(options.nodes);
  if (options.fault != consensus::Raft::Fault::none) {
    command += " --fault " + std::string(fault_name(options.fault));
  }
  if (options.safety_us != defaults.safety_us) {
    command +=
        " --safety-ms " + std::to_string(options.safety_us / kMicrosPerMs);
  }
  if (options.pipeline) command += " --pipeline";
  if (options.pipeline_fault != PipelineFault::none) {
    command += " --pipeline-fault " +
               std::string(pipeline_fault_name(options.pipeline_fault));
  }
  if (options.failovers != defaults.failovers) {
    command += " --failovers " + std::to_string(options.failovers);
  }
  return command;
}

std::string_view fault_name(consensus::Raft::Fault fault) {
  switch (fault) {
    case consensus::Raft::Fault::none: return "none";
    case consensus::Raft::Fault::double_vote: return "double_vote";
    case consensus::Raft::Fault::commit_previous_term:
      return "commit_previous_term";
  }
  return "none";
}

std::optional<consensus::Raft::Fault> fault_from_name(std::string_view name) {
  for (auto fault :
       {consensus::Raft::Fault::none, consensus::Raft::Fault::double_vote,
        consensus::Raft::Fault::commit_previous_term}) {
    if (fault_name(fault) == name) return fault;
  }
  return std::nullopt;
}

}  // namespace slurp::sim
