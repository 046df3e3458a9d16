#include "tests/sim/cluster.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "tests/sim/message_trace.h"
#include "tests/sim/overloaded.h"

namespace slurp::sim {
Cluster::Cluster(ClusterSettings settings, Prng& prng, Trace& trace)
    : settings_(std::move(settings)),
      prng_(prng),
      trace_(trace),
      network_(settings_.node_count),
      checker_(settings_.node_count),
      clients_(settings_.clients, settings_.node_count, prng, *this, checker_,
               trace) {
  const std::size_t n = settings_.node_count;
  network_.set_all_profiles(settings_.link);
  std::vector<consensus::NodeId> members;
  for (NodeIndex i = 0; i < n; ++i) members.push_back(node_name(i));
  for (NodeIndex i = 0; i < n; ++i) {
    NodeSettings node_settings;
    node_settings.config = settings_.raft;
    node_settings.config.id = node_name(i);
    node_settings.config.members = members;
    node_settings.fault = settings_.fault;
    node_settings.compact_entries_min = settings_.compact_entries_min;
    node_settings.compact_entries_max = settings_.compact_entries_max;
    node_settings.pipeline = settings_.pipeline.has_value();
    if (settings_.pipeline) {
      // The bounds stay protocol/limits.h's, as in slurpd; only the times
      // are the simulation's.
      node_settings.leader_pipeline.job_lease_ms = settings_.pipeline->lease_ms;
      node_settings.leader_pipeline.job_retry_backoff_ms =
          settings_.pipeline->backoff_ms;
      node_settings.pipeline_fault = settings_.pipeline->fault;
    }
    nodes_.push_back(
        std::make_unique<SimNode>(i, std::move(node_settings), prng_, *this));
    const double drift = (prng_.unit() * 2 - 1) * settings_.clock_drift_max;
    tick_period_us_.push_back(static_cast<Micros>(
        std::llround(static_cast<double>(settings_.tick_us) * (1 + drift))));
  }
  seen_.resize(n);
  if (settings_.pipeline) {
    pipeline_ = std::make_unique<SimPipeline>(*settings_.pipeline, *this);
  }
}

void Cluster::start() {
  for (NodeIndex i = 0; i < nodes_.size(); ++i) start_node(i);
  clients_.start(now_);
  if (pipeline_) pipeline_->start();
}

void Cluster::start_node(NodeIndex index) {
  SimNode& n = node(index);
  seen_[index] = Seen{};
  Status started = n.start(prng_.next());
  trace_.event(now_, "start", n.name(), {{"life", n.life()}});
  if (!started) {
    on_anomaly(n, "restart failed: " + started.error().describe());
    return;
  }
  schedule_first_tick(index);
}

void Cluster::schedule_first_tick(NodeIndex index) {
  push(now_ + prng_.between(1, tick_period_us_[index]),
       TickEvent{index, node(index).life()});
}

void Cluster::push(Micros at, Event event) {
  assert(at >= now_);
  queue_.emplace(std::make_pair(at, sequence_++), std::move(event));
}

void Cluster::schedule(Micros at, std::function<void()> action) {
  push(at, ActionEvent{std::move(action)});
}

void Cluster::run_until(Micros until) {
  run_until([] { return false; }, until);
}

bool Cluster::run_until(const std::function<bool()>& done, Micros deadline) {
  if (done()) return true;
  while (!queue_.empty() && !checker_.failed()) {
    auto first = queue_.begin();
    if (first->first.first > deadline) break;
    now_ = first->first.first;
    Event event = std::move(first->second);
    queue_.erase(first);
    checker_.set_time(now_);
    ++events_;
    dispatch(event);
    if (done()) return !checker_.failed();
  }
  if (!checker_.failed()) now_ = std::max(now_, deadline);
  return false;
}

void Cluster::dispatch(Event& event) {
  std::visit(
      Overloaded{
          [&](TickEvent& tick) { on_tick(tick); },
          [&](SyncEvent& sync) {
            trace_.silent(now_, "synced", sync.node);
            node(sync.node).sync_done(sync.life);
          },
          [&](DeliverEvent& delivery) { on_deliver(delivery); },
          [&](InputEvent& e) { node(e.node).input(std::move(e.input)); },
          [&](ClientEvent& c) { clients_.wake(c.client, c.generation, now_); },
          [&](ActionEvent& a) { a.action(); },
      },
      event);
}

void Cluster::on_tick(const TickEvent& tick) {
  SimNode& n = node(tick.node);
  if (!n.up() || n.life() != tick.life) return;  // a new life ticks anew
  trace_.silent(now_, "tick", tick.node);
  n.input(TickInput{});
  // slurpd's loop turn: tick, Ready, then the pipeline (Node::loop_once).
  if (pipeline_) {
    const auto now_ms = static_cast<std::uint64_t>(now_ / kMicrosPerMs);
    n.input(PipelineTurnInput{now_ms, now_ms});
  }
  push(now_ + tick_period_us_[tick.node] +
           prng_.between(0, settings_.tick_jitter_us_max),
       tick);
}

void Cluster::on_deliver(DeliverEvent& delivery) {
  SimNode& to = node(delivery.to);
  const bool carried = network_.arrive(delivery.from, delivery.to);
  if (!carried || !to.up()) {
    trace_.event(now_, carried ? "lost-down" : "lost-cut", to.name(),
                 {{"from", delivery.from + 1}});
    return;
  }
  MessageTrace traced = trace_message(delivery.message);
  traced.fields.insert(traced.fields.begin(), {"from", delivery.from + 1});
  trace_.event(now_, traced.kind, to.name(), traced.fields);
  to.input(MessageInput{std::move(delivery.message)});
}

void Cluster::crash(NodeIndex index, bool tear) {
  SimNode& n = node(index);
  if (!n.up()) return;
  trace_.event(now_, "crash", n.name(), {{"tear", tear ? 1u : 0u}});
  n.crash(tear);
  clients_.on_crash(index);
}

void Cluster::restart(NodeIndex index) {
  if (node(index).up()) return;
  start_node(index);
}

void Cluster::pause(NodeIndex index) {
  if (!node(index).up() || node(index).paused()) return;
  trace_.event(now_, "pause", node(index).name());
  node(index).pause();
}

void Cluster::resume(NodeIndex index) {
  if (!node(index).up() || !node(index).paused()) return;
  trace_.event(now_, "resume", node(index).name());
  node(index).resume();
}

void Cluster::heal() {
  trace_.note(now_, "heal: every node up, every link healthy");
  network_.heal(settings_.link);
  for (NodeIndex i = 0; i < nodes_.size(); ++i) {
    restart(i);
    resume(i);
  }
}

std::vector<const SimNode*> Cluster::nodes() const {
  std::vector<const SimNode*> all;
  for (const auto& n : nodes_) all.push_back(n.get());
  return all;
}

std::optional<NodeIndex> Cluster::leader() const {
  std::optional<NodeIndex> best;
  for (NodeIndex i = 0; i < nodes_.size(); ++i) {
    const SimNode& n = node(i);
    if (!n.up() || n.raft().role() != consensus::RaftRole::leader) continue;
    if (!best || n.raft().term() > node(*best).raft().term()) best = i;
  }
  return best;
}

}  // namespace slurp::sim
