// What a node says about itself and the cluster: status and get answers,
// events on the PUB socket, the leader's beacons and health checks.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/printable.h"
#include "protocol/ucxl_address.h"
#include "protocol/wire_size.h"
#include "src/context/role_filter.h"
#include "src/node/node.h"
#include "src/node/resident_memory.h"

namespace slurp::node {

const MemberOptions* Node::member(const std::string& id) const {
  for (const MemberOptions& m : options_.members) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

bool Node::peer_healthy(const std::string& id) const {
  auto heard = peer_heard_ms_.find(id);
  return heard != peer_heard_ms_.end() &&
         steady_now_ms() - heard->second <=
             options_.timing.tick_ms * options_.timing.election_ticks_max;
}

StatusReply Node::build_status(std::uint64_t id, bool stale) const {
  StatusReply reply;
  reply.id = id;
  reply.node = options_.node_id;
  reply.leader = raft_->leader();
  reply.term = raft_->term();
  reply.commit_index = raft_->commit_index();
  const bool leading = raft_->role() == consensus::RaftRole::leader;
  const std::uint64_t steady_now = steady_now_ms();
  const std::uint64_t election_ms =
      options_.timing.tick_ms * options_.timing.election_ticks_max;
  if (stale && !leading) {
    // How old the state may be: since the leader was last heard from (it
    // might have committed more since), or since start without a leader.
    std::uint64_t since =
        last_leader_contact_ms_ != 0 ? last_leader_contact_ms_ : started_ms_;
    reply.stale_ms = steady_now - since;
  } else if (stale) {
    reply.stale_ms = 0;
  }
  const std::uint64_t last = raft_->last_index();
  if (leading) {
    auto progress = raft_->progress();
    for (const MemberOptions& m : options_.members) {
      MemberStatus s;
      s.node = m.id;
      if (m.id == options_.node_id) {
        s.state = "leader";
        s.healthy = true;
        s.match_index = last;
      } else {
        auto p = progress.find(m.id);
        bool active = peer_healthy(m.id);
        s.state = active ? "follower" : "unreachable";
        s.healthy = active;
        s.match_index = p != progress.end() ? p->second.match_index : 0;
        s.lag_entries = last > s.match_index ? last - s.match_index : 0;
      }
      reply.members.push_back(s);
    }
  } else {
    // A follower sees itself and whether the leader is talking to it.
    for (const MemberOptions& m : options_.members) {
      MemberStatus s;
      s.node = m.id;
      if (m.id == options_.node_id) {
        s.state = std::string(consensus::raft_role_name(raft_->role()));
        s.healthy = true;
        s.match_index = last;
      } else if (reply.leader && m.id == *reply.leader) {
        s.state = "leader";
        s.healthy = last_leader_contact_ms_ != 0 &&
                    steady_now - last_leader_contact_ms_ <= election_ms;
      } else {
        s.state = "unknown";
      }
      reply.members.push_back(s);
    }
  }
  reply.queue = state_.queue_counts();
  reply.active_tasks = state_.active_tasks();
  reply.queued_tasks = state_.queued_tasks();
  reply.waiting_tasks = state_.waiting_tasks();
  const state::QueueCounters& counters = state_.counters();
  reply.cache_hits = counters.cache_hits;
  reply.attached = counters.attached;
  reply.retries = counters.retries;
  reply.dead_lettered = counters.dead_lettered;
  reply.duplicate_generations = counters.duplicate_generations;
  reply.loop_turn_max_ms = loop_turns_.max_ms();
  reply.loop_turn_recent_max_ms = loop_turns_.recent_max_ms(steady_now_us());
  reply.rss_bytes = resident_bytes();
  for (const auto& [node, a] : state_.audit_anchors()) {
    if (!reply.audit_anchors) reply.audit_anchors.emplace();
    reply.audit_anchors->push_back({a.node, a.seq, a.epoch, a.mac_hex,
                                    a.time_ms, a.index, a.regressions,
                                    a.last_regression_seq});
  }
  if (leading) {
    const std::uint64_t wall = wall_now_ms();
    reply.workers = pipeline_.workers().workers(wall);
    reply.completed_per_s = pipeline_.workers().completed_per_s(wall);
    reply.failed_per_s = pipeline_.workers().failed_per_s(wall);
  }
  return reply;
}

Message Node::answer_read(const ClientRequest& request, bool stale) const {
  if (auto* s = std::get_if<StatusRequest>(&request.request)) {
    return build_status(s->id, stale);
  }
  if (auto* j = std::get_if<JobQuery>(&request.request)) {
    return job_reply(*j);
  }
  // get and list never get here: the reader threads serve them
  // (hand_to_readers).
  return to_error_reply(request.id,
                        make_error(ErrorCode::internal, "not a read"));
}

Message Node::job_reply(const JobQuery& query) const {
  const state::JobRecord* job = state_.job(query.job_id);
  if (job == nullptr) {
    return to_error_reply(
        query.id,
        make_error(ErrorCode::not_found,
                   "no job " + std::to_string(query.job_id) +
                       " (never accepted, or ended and since forgotten)",
                   "job_id"));
  }
  JobReply reply;
  reply.id = query.id;
  reply.job_id = job->job_id;
  reply.address = job->address;
  reply.state = std::string(state::job_state_name(job->state));
  reply.priority = job->priority;
  reply.attempts = job->attempts;
  reply.error = job->error;
  reply.accepted_ms = job->accepted_ms;
  reply.ended_ms = job->ended_ms;
  reply.depends_on = job->depends_on;
  reply.waiting_on = job->waiting_on.size();
  return reply;
}

void Node::publish(std::string topic, Attributes attrs) {
  // Values may quote input (a refused request's reason, a requester's
  // name): every subscriber gets them bounded, escaped and valid UTF-8.
  for (auto& [key, value] : attrs) {
    if (value.size() > limits::event_attr_bytes_max || !is_valid_utf8(value) ||
        std::any_of(value.begin(), value.end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
        })) {
      value = printable_prefix(value, limits::event_attr_bytes_max);
    }
  }
  const Event& event =
      journal_.record(std::move(topic), raft_ ? raft_->term() : 0,
                      wall_now_ms(), std::move(attrs));
  const std::string payload = encode(event);
  try {
    events_.send(zmq::buffer(event.topic), zmq::send_flags::sndmore);
    events_.send(zmq::buffer(payload), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    spdlog::debug("events: {}", e.what());
  }
}

void Node::publish_beacon() {
  Beacon beacon;
  beacon.node = options_.node_id;
  beacon.term = raft_->term();
  beacon.leader = raft_->leader();
  if (beacon.leader) {
    if (const MemberOptions* m = member(*beacon.leader)) {
      beacon.leader_endpoints =
          Endpoints{m->api_endpoint, m->events_endpoint, m->jobs_endpoint,
                    m->results_endpoint};
    }
    if (*beacon.leader == options_.node_id) {
      beacon.leader_endpoints =
          Endpoints{self_.api_endpoint, self_.events_endpoint,
                    self_.jobs_endpoint, self_.results_endpoint};
    }
  }
  beacon.commit_index = raft_->commit_index();
  beacon.seq = journal_.last_seq();
  const std::string payload = encode(beacon);
  try {
    events_.send(zmq::buffer(std::string_view("beacon")),
                 zmq::send_flags::sndmore);
    events_.send(zmq::buffer(payload), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    spdlog::debug("beacon: {}", e.what());
  }
}

// The leader watches its followers: one it has not heard from within an
// election timeout is down (Raft's recently_active), and says so once per
// change, as node.down / node.up.
void Node::check_health() {
  if (raft_->role() != consensus::RaftRole::leader) return;
  const std::uint64_t election_ms =
      options_.timing.tick_ms * options_.timing.election_ticks_max;
  if (steady_now_ms() < leader_since_ms_ + election_ms)
    return;  // still learning
  for (const auto& [id, progress] : raft_->progress()) {
    const bool healthy = peer_healthy(id);
    auto known = peer_healthy_.find(id);
    if (known != peer_healthy_.end() && known->second == healthy) continue;
    if (known != peer_healthy_.end() || !healthy) {
      spdlog::info("member {} is {}", id, healthy ? "up" : "down");
      publish(healthy ? "node.up" : "node.down",
              {{"peer", id},
               {"match_index", std::to_string(progress.match_index)}});
    }
    peer_healthy_[id] = healthy;
  }
}

}  // namespace slurp::node
