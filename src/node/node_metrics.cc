// The node's side of its metrics (src/metrics/node_metrics.h): starting
// the listener, and copying what the loop knows into the atomics a scrape
// reads. Nothing here waits on the HTTP threads.
#include <spdlog/spdlog.h>

#include "src/node/node.h"

namespace slurp::node {

namespace {

// Cheap values go out every turn; the queue and peers' progress, which
// take copies, at most this often.
constexpr std::uint64_t metrics_refresh_ms = 100;

}  // namespace

Status Node::start_metrics() {
  if (options_.metrics_listen.empty()) return ok_status();
  auto address = config::parse_listen_address(options_.metrics_listen);
  if (!address) {
    return make_error(ErrorCode::bad_request,
                      *config::listen_address_problem(options_.metrics_listen),
                      "metrics_listen");
  }
  metrics::NodeMetrics::Sources sources;
  sources.node_id = options_.node_id;
  for (const MemberOptions& m : options_.members) {
    sources.members.push_back(m.id);
  }
  if (sources.members.empty()) sources.members.push_back(options_.node_id);
  sources.data_dir = options_.data_dir;
  sources.election_timeout_ms =
      options_.timing.tick_ms * options_.timing.election_ticks_max;
  bus::ZapAuthenticator* zap = zap_.get();
  sources.zap_refusals = [zap] { return zap->refused_count(); };
  metrics_ = std::make_shared<metrics::NodeMetrics>(std::move(sources));
  std::weak_ptr<metrics::NodeMetrics> weak = metrics_;
  auto listener = metrics::MetricsListener::start(
      *address, metrics_,
      [weak](std::uint64_t now) {
        auto m = weak.lock();
        return m ? m->live(now) : metrics::HealthReport{};
      },
      [weak](std::uint64_t now) {
        auto m = weak.lock();
        return m ? m->ready(now) : metrics::HealthReport{};
      });
  if (!listener) return listener.error();
  metrics_listener_ = std::move(*listener);
  spdlog::info("metrics on http://{}/metrics (and /healthz, /readyz)",
               address->text());
  return ok_status();
}

void Node::update_metrics(std::uint64_t turn_end_us, std::uint64_t work_us) {
  if (!metrics_) return;
  const std::uint64_t now_ms = turn_end_us / 1000;
  metrics_->turn_done(now_ms, work_us);
  if (const auto& c = log_writer_->counters();
      c.writes != metrics_log_writes_) {
    metrics_log_writes_ = c.writes;  // at most one write ends per turn
    metrics_->log_synced(static_cast<double>(c.write_us_last) / 1e6);
  }
  metrics::NodeMetrics::RaftView raft;
  raft.term = raft_->term();
  raft.commit_index = raft_->commit_index();
  raft.applied_index = raft_->applied_index();
  raft.last_index = raft_->last_index();
  const consensus::RaftRole role = raft_->role();
  raft.leader = role == consensus::RaftRole::leader;
  raft.candidate = role == consensus::RaftRole::candidate ||
                   role == consensus::RaftRole::pre_candidate;
  if (const auto leader = raft_->leader()) {
    for (std::size_t i = 0; i < options_.members.size(); ++i) {
      if (options_.members[i].id == *leader)
        raft.leader_member = static_cast<int>(i);
    }
    if (options_.members.empty() && *leader == options_.node_id) {
      raft.leader_member = 0;
    }
    raft.leader_contact_ms = last_leader_contact_ms_;
    if (auto heard = peer_heard_ms_.find(*leader);
        heard != peer_heard_ms_.end()) {
      raft.leader_contact_ms = std::max(raft.leader_contact_ms, heard->second);
    }
  }
  metrics_->set_raft(raft);
  if (stopping_) metrics_->set_stopping();
  if (now_ms < next_metrics_ms_) return;
  next_metrics_ms_ = now_ms + metrics_refresh_ms;
  metrics::NodeMetrics::QueueView q;
  for (const QueueCounts& c : state_.queue_counts()) {
    const auto p = static_cast<std::size_t>(c.priority);
    if (p >= q.queued.size()) continue;
    q.queued[p] = c.queued;
    q.active[p] = c.active;
    q.completed[p] = c.completed;
    q.failed[p] = c.failed;
  }
  q.waiting = state_.waiting_tasks();
  const state::QueueCounters& counters = state_.counters();
  q.cache_hits = counters.cache_hits;
  q.attached = counters.attached;
  q.duplicate_generations = counters.duplicate_generations;
  q.late_results = counters.late_results;
  q.dead_lettered = counters.dead_lettered;
  q.retries = counters.retries;
  q.contexts = state_.context_count();
  q.context_bytes = state_.context_bytes();
  if (raft.leader) {
    q.workers_seen = pipeline_.workers().workers(wall_now_ms()).size();
    const std::uint64_t last = raft_->last_index();
    const auto progress = raft_->progress();
    for (std::size_t i = 0; i < options_.members.size(); ++i) {
      auto p = progress.find(options_.members[i].id);
      if (p == progress.end()) continue;
      metrics_->set_peer_lag(
          i, last > p->second.match_index ? last - p->second.match_index : 0);
    }
  }
  metrics_->set_queue(q);
  metrics_->set_audit_records(audit_log_->stats().written);
}

}  // namespace slurp::node
