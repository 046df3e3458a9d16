#include "tests/sim/sim_pipeline.h"

#include <algorithm>

#include "protocol/record_codec.h"
#include "tests/sim/cluster.h"
#include "tests/sim/scenario.h"

namespace slurp::sim {
namespace {

constexpr std::string_view kEngine = "sim-1";

bool ended(const state::JobRecord* job) {
  return job != nullptr && state::job_state_ended(job->state);
}

std::uint64_t digest(const Bytes& bytes) {
  std::uint64_t h = 1469598103934665603ULL;
  for (std::uint8_t b : bytes) {
    h ^= b;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

std::string_view pipeline_fault_name(PipelineFault fault) {
  switch (fault) {
    case PipelineFault::none: return "none";
    case PipelineFault::ignore_dependencies: return "ignore_dependencies";
    case PipelineFault::store_twice: return "store_twice";
    case PipelineFault::no_lease_expiry: return "no_lease_expiry";
  }
  return "none";
}

std::optional<PipelineFault> pipeline_fault_from_name(std::string_view name) {
  for (auto f : {PipelineFault::none, PipelineFault::ignore_dependencies,
                 PipelineFault::store_twice, PipelineFault::no_lease_expiry}) {
    if (pipeline_fault_name(f) == name) return f;
  }
  return std::nullopt;
}

SimPipeline::SimPipeline(PipelineSettings settings, Cluster& cluster)
    : settings_(std::move(settings)), cluster_(cluster) {
  clients_.resize(settings_.clients);
  workers_.resize(settings_.workers);
}

PipelineCounters SimPipeline::counters() const {
  PipelineCounters counters = counters_;
  for (const SimNode* node : cluster_.nodes()) {
    const node::LeaderPipeline::Counters c = node->pipeline_counters();
    counters.leases += c.leases_applied;
    counters.lease_expiries += c.lease_expiries;
  }
  return counters;
}

Micros SimPipeline::now() const {
  return cluster_.now();
}
std::uint64_t SimPipeline::now_ms() const {
  return static_cast<std::uint64_t>(cluster_.now() / kMicrosPerMs);
}

void SimPipeline::fail(const std::string& what) {
  cluster_.checker().report("pipeline: " + what);
}

void SimPipeline::start() {
  Prng& prng = cluster_.prng();
  for (std::size_t c = 0; c < clients_.size(); ++c) {
    Client& client = clients_[c];
    client.target = static_cast<NodeIndex>(prng.below(cluster_.size()));
    for (std::size_t r = 0; r < settings_.requests_per_client; ++r) {
      Request request;
      request.request_id = "r" + std::to_string(r);
      state::EnqueueCommand& cmd = request.command;
      cmd.request_id = request.request_id;
      cmd.requester = "client" + std::to_string(c + 1);
      cmd.role = "developer";
      const std::uint64_t a = prng.below(settings_.addresses);
      cmd.address = "ucxl://sim/project/f" + std::to_string(a) + ".cc";
      cmd.content = Bytes{static_cast<std::uint8_t>(a)};
      if (prng.chance(0.8)) {
        // Two contents per address; the hash is well formed (64 hex
        // digits) and, as a leader does for inline content, verified.
        const std::string n = std::to_string(a * 2 + prng.below(2));
        cmd.content_hash = std::string(64 - n.size(), '0') + n;
        cmd.content_hash_verified = true;
      }
      cmd.engine_version = std::string(kEngine);
      cmd.priority = static_cast<Priority>(prng.below(5));
      client.requests.push_back(std::move(request));
    }
    client.generation = 1;
    const std::size_t id = c;
    const std::uint64_t gen = client.generation;
    cluster_.schedule(
        now() + prng.between(settings_.think_us_min, settings_.think_us_max),
        [this, id, gen] {
          if (clients_[id].generation == gen) send_request(id);
        });
  }
}

// Decided at the first send (depends_on needs earlier acknowledgements) and
// kept for every retry: a retry is the same request.
void SimPipeline::send_request(std::size_t id) {
  Client& client = clients_[id];
  if (client.next >= client.requests.size()) return;
  Request& request = client.requests[client.next];
  Prng& prng = cluster_.prng();
  state::EnqueueCommand& cmd = request.command;
  if (cmd.time_ms == 0) {
    cmd.time_ms = std::max<std::uint64_t>(now_ms(), 1);
    if (prng.chance(0.3)) {
      std::vector<std::string> known;
      for (const Client& other : clients_) {
        for (const Request& r : other.requests) {
          if (r.job_id && r.command.address != cmd.address) {
            known.push_back(r.command.address);
          }
        }
      }
      std::sort(known.begin(), known.end());
      known.erase(std::unique(known.begin(), known.end()), known.end());
      for (int k = 0; k < 2 && !known.empty(); ++k) {
        std::size_t pick = static_cast<std::size_t>(prng.below(known.size()));
        cmd.depends_on.push_back(known[pick]);
        known.erase(known.begin() + static_cast<std::ptrdiff_t>(pick));
      }
    }
    if (prng.chance(0.2)) {
      cmd.deadline_ms = cmd.time_ms + prng.between(500, 10000);
    }
  }
  ++client.generation;
  ProposalInput input;
  input.client = id;
  input.request = client.generation;
  input.payload = encode_record(cmd);
  input.kind = static_cast<std::uint64_t>(state::CommandKind::enqueue);
  input.pipeline = true;
  input.sent_ms = now_ms();
  cluster_.send_input(client.target, std::move(input),
                      now() + prng.between(500, 1500));
  const std::uint64_t gen = client.generation;
  cluster_.schedule(now() + settings_.client_timeout_us, [this, id, gen] {
    if (clients_[id].generation != gen) return;
    clients_[id].target =
        static_cast<NodeIndex>(cluster_.prng().below(cluster_.size()));
    client_retry(id, 0);
  });
}

void SimPipeline::client_retry(std::size_t id, Micros delay) {
  Client& client = clients_[id];
  ++counters_.client_retries;
  const std::uint64_t gen = ++client.generation;
  cluster_.schedule(now() + delay, [this, id, gen] {
    if (clients_[id].generation == gen) send_request(id);
  });
}

void SimPipeline::client_next(std::size_t id) {
  Client& client = clients_[id];
  Prng& prng = cluster_.prng();
  if (!client.resend && prng.chance(0.1)) {
    client.resend = true;  // the same request_id once more: a duplicate
  } else {
    client.resend = false;
    ++client.next;
  }
  const std::uint64_t gen = ++client.generation;
  cluster_.schedule(
      now() + prng.between(settings_.think_us_min, settings_.think_us_max),
      [this, id, gen] {
        if (clients_[id].generation == gen) send_request(id);
      });
}

void SimPipeline::on_proposal(const SimNode& node,
                              const ProposalInput& proposal,
                              const Result<std::uint64_t>& outcome) {
  Client& client = clients_[proposal.client];
  if (proposal.request != client.generation) return;
  // Proposed: the node's RequestTable keeps it until on_request_applied
  // or on_request_again.
  if (outcome) return;
  if (auto leader = node.raft().leader()) {
    if (auto index = parse_node_name(*leader, cluster_.size())) {
      client.target = *index;
    }
  } else {
    client.target =
        static_cast<NodeIndex>(cluster_.prng().below(cluster_.size()));
  }
  client_retry(proposal.client,
               cluster_.prng().between(10 * kMicrosPerMs, 50 * kMicrosPerMs));
}

void SimPipeline::on_request_again(std::size_t client, std::uint64_t request) {
  if (clients_[client].generation == request) client_retry(client, 0);
}

void SimPipeline::on_request_applied(std::size_t id, std::uint64_t generation,
                                     const state::ApplyOutcome& outcome) {
  Client& client = clients_[id];
  if (client.generation != generation) return;
  Request& request = client.requests[client.next];
  if (outcome.error) {
    request.refused = true;
    ++counters_.requests_refused;
  } else {
    if (request.job_id && *request.job_id != outcome.job_id) {
      fail("P5: request " + request.command.requester + "/" +
           request.request_id + " answered with job " +
           std::to_string(outcome.job_id) + " after job " +
           std::to_string(*request.job_id));
    }
    if (!request.job_id) {
      request.job_id = outcome.job_id;
      acked_jobs_.insert(outcome.job_id);
      ++counters_.requests_acked;
    }
  }
  client_next(id);
}

void SimPipeline::on_jobs_pushed(const SimNode& node,
                                 const std::vector<JobBatch>& batches) {
  for (const JobBatch& batch : batches) {
    for (const Job& job : batch.jobs) push(node, batch.term, job);
  }
}

void SimPipeline::push(const SimNode& leader, std::uint64_t term,
                       const Job& job) {
  check_dependencies(leader, job.job_id, "pushed to a worker");
  ++counters_.pushes;
  Prng& prng = cluster_.prng();
  if (!healed_ && prng.chance(settings_.push_loss)) {
    ++counters_.pushes_lost;
    return;
  }
  WorkItem item{job.job_id,  job.attempt,      term,
                job.address, job.content_hash, true};
  const std::size_t worker =
      static_cast<std::size_t>(prng.below(workers_.size()));
  cluster_.schedule(now() + prng.between(500, 2000),
                    [this, worker, item] { worker_receive(worker, item); });
}

void SimPipeline::worker_receive(std::size_t id, WorkItem item) {
  Worker& worker = workers_[id];
  if (!worker.up) {
    ++counters_.pushes_lost;
    return;
  }
  Prng& prng = cluster_.prng();
  const Micros work =
      prng.between(settings_.work_us_min, settings_.work_us_max);
  if (!healed_ && prng.chance(settings_.worker_crash)) {
    ++counters_.worker_crashes;
    const Micros crash_at = now() + prng.between(0, work);
    cluster_.schedule(crash_at, [this, id] {
      Worker& w = workers_[id];
      if (!w.up) return;
      w.up = false;
      ++w.generation;
      cluster_.schedule(now() + cluster_.prng().between(100 * kMicrosPerMs,
                                                        500 * kMicrosPerMs),
                        [this, id] { workers_[id].up = true; });
    });
  }
  item.ok = !prng.chance(settings_.work_fail);
  const std::uint64_t gen = worker.generation;
  cluster_.schedule(now() + work, [this, id, gen, item] {
    if (!workers_[id].up || workers_[id].generation != gen) return;
    ++counters_.results;
    Prng& p = cluster_.prng();
    if (!healed_ && p.chance(settings_.result_loss)) {
      ++counters_.results_lost;
      return;
    }
    // What slurp-worker sends: one results batch, the lease's term echoed.
    const std::uint64_t done_ms = now_ms();
    JobResult result{item.job_id, item.attempt, item.term,
                     item.ok,     std::nullopt, std::nullopt};
    if (item.ok) {
      Context context;
      context.address = item.address;
      context.content_hash = item.content_hash.value_or("");
      context.engine = "sim";
      context.engine_version = std::string(kEngine);
      context.summary = "job " + std::to_string(item.job_id);
      context.generated_at_ms = done_ms;
      result.context = std::move(context);
    } else {
      result.error = "worker error";
    }
    ResultBatch batch{"w" + std::to_string(id + 1), {std::move(result)}};
    const NodeIndex to = static_cast<NodeIndex>(p.below(cluster_.size()));
    cluster_.schedule(
        now() + p.between(500, 2000),
        [this, to, batch = std::move(batch)] { deliver_result(to, batch, 0); });
  });
}

// A results batch reaches a node's results socket: its LeaderPipeline
// decides (SimNode::pipeline_results), after any fsync the node waits for.
void SimPipeline::deliver_result(NodeIndex index, ResultBatch batch, int hops) {
  SimNode& node = cluster_.node(index);
  if (!node.up()) {
    ++counters_.results_lost;
    return;
  }
  node.input(ResultInput{std::move(batch), now_ms(), hops});
}

// The node's pipeline answered not_leader: like slurpd, the node passes
// the batch to the leader it knows (it may itself be deposed), else the
// results are lost and their jobs come back by lease expiry.
void SimPipeline::pass_results_on(const SimNode& node,
                                  const ResultInput& results) {
  auto leader = node.raft().leader();
  std::optional<NodeIndex> to;
  if (leader) to = parse_node_name(*leader, cluster_.size());
  if (!to || *to == node.index() || results.hops >= 3) {
    ++counters_.results_lost;
    return;
  }
  ++counters_.results_forwarded;
  const NodeIndex target = *to;
  const int hops = results.hops + 1;
  cluster_.schedule(now() + cluster_.prng().between(500, 2000),
                    [this, target, batch = results.batch, hops] {
                      deliver_result(target, batch, hops);
                    });
}

void SimPipeline::check_dependencies(const SimNode& node, std::uint64_t job_id,
                                     std::string_view when) {
  auto it = deps_.find(job_id);
  if (it == deps_.end()) return;
  for (std::uint64_t dep : it->second) {
    if (!ended(node.machine().job(dep))) {
      fail("P3: job " + std::to_string(job_id) + " " + std::string(when) +
           " on " + node.name() + " while its dependency job " +
           std::to_string(dep) + " has not ended");
      return;
    }
  }
}

void SimPipeline::on_state_applied(const SimNode& node, const LogEntry& entry,
                                   const state::ApplyOutcome& outcome) {
  const auto kind = static_cast<state::CommandKind>(entry.kind);
  if (kind == state::CommandKind::lease) {
    for (const auto& leased : outcome.leased) {
      check_dependencies(node, leased.job_id, "leased");
    }
  }
  if (entry.index == first_applied_ + 1) {
    first_applied_ = entry.index;
    check_first_apply(node, entry, outcome);
  }
  // P4, sampled.
  if (entry.index % 64 == 0) {
    const std::uint64_t d = digest(node.machine().snapshot());
    auto [it, inserted] = digest_at_.emplace(entry.index, d);
    if (!inserted && it->second != d) {
      fail("P4: " + node.name() + "'s state machine at index " +
           std::to_string(entry.index) + " differs from another node's");
    }
  }
}

// Once per index (the first node to apply it): P2's bookkeeping.
void SimPipeline::check_first_apply(const SimNode& node, const LogEntry& entry,
                                    const state::ApplyOutcome& outcome) {
  const state::StateMachine& machine = node.machine();
  const auto kind = static_cast<state::CommandKind>(entry.kind);
  if (kind == state::CommandKind::enqueue && !outcome.error) {
    if (outcome.outcome == "cached") ++counters_.cache_hits;
    if (outcome.outcome == "attached") ++counters_.attached;
    if (outcome.outcome == "duplicate") ++counters_.duplicates;
    if (outcome.outcome == "queued") {
      const state::JobRecord* job = machine.job(outcome.job_id);
      if (job) {
        deps_[job->job_id] = job->waiting_on;
        has_deadline_[job->job_id] = job->deadline_ms.has_value();
        if (job->content_hash) {
          for (std::uint64_t other : jobs_by_address_[job->address]) {
            const state::JobRecord* o = machine.job(other);
            if (o && !ended(o) && o->content_hash == job->content_hash &&
                o->role == job->role) {
              fail("P2: job " + std::to_string(job->job_id) + " generates " +
                   job->address + " again while job " + std::to_string(other) +
                   " with the same content is open");
            }
          }
          const std::optional<state::ContextMeta> meta =
              machine.context_meta(job->address);
          if (meta && meta->content_hash == job->content_hash &&
              meta->role == job->role && meta->engine_version == kEngine) {
            fail("P2: job " + std::to_string(job->job_id) + " generates " +
                 job->address +
                 " again though its stored context is from "
                 "the same content");
          }
        }
        jobs_by_address_[job->address].insert(job->job_id);
      }
    }
  }
  std::set<std::string> touched;
  for (const state::StateEvent& event : outcome.events) {
    auto attr = [&](const char* key) -> std::string {
      auto it = event.attrs.find(key);
      return it == event.attrs.end() ? std::string() : it->second;
    };
    if (event.topic == "context.stored") {
      ++stored_[attr("address")];
      touched.insert(attr("address"));
    }
  }
  for (const state::JobEnded& e : outcome.ended) {
    const state::JobRecord* job = machine.job(e.job_id);
    if (!job) continue;
    if (e.state == state::JobState::completed) {
      ++counters_.completed;
      if (!completed_[job->address].insert(e.job_id).second) {
        fail("P2: job " + std::to_string(e.job_id) + " completed twice");
      }
      touched.insert(job->address);
    } else if (e.state == state::JobState::dead_lettered) {
      ++counters_.dead_lettered;
    } else if (e.state == state::JobState::failed) {
      ++counters_.deadline_failed;
    }
  }
  for (const std::string& address : touched) {
    const std::uint64_t stored = stored_[address];
    const std::uint64_t done = completed_[address].size();
    const std::optional<Context> context = machine.context(address);
    const std::uint64_t version = context ? context->version : 0;
    if (stored != done || version != stored) {
      fail("P2: " + address + " stored " + std::to_string(stored) +
           " times (version " + std::to_string(version) + ") for " +
           std::to_string(done) + " completed jobs");
    }
  }
}

void SimPipeline::heal() {
  healed_ = true;
}

bool SimPipeline::drained() const {
  for (const Client& client : clients_) {
    if (client.next < client.requests.size()) return false;
  }
  auto leader = cluster_.leader();
  if (!leader) return false;
  const state::StateMachine& machine = cluster_.node(*leader).machine();
  for (std::uint64_t id : acked_jobs_) {
    if (!ended(machine.job(id))) return false;
  }
  return true;
}

void SimPipeline::check_end(bool is_drained) {
  if (!is_drained) {
    std::string open;
    auto leader = cluster_.leader();
    std::size_t undone = 0;
    for (const Client& client : clients_) {
      undone += client.requests.size() - client.next;
    }
    if (leader) {
      const state::StateMachine& machine = cluster_.node(*leader).machine();
      for (std::uint64_t id : acked_jobs_) {
        const state::JobRecord* job = machine.job(id);
        if (ended(job)) continue;
        open += " " + std::to_string(id) + "(" +
                (job ? std::string(state::job_state_name(job->state))
                     : std::string("unknown")) +
                ")";
        if (open.size() > 200) break;
      }
    }
    fail("P1: not drained within " +
         std::to_string(kDrainBoundUs / kMicrosPerMs) +
         " ms of the heal: requests not done " + std::to_string(undone) +
         (leader ? ", acked jobs not ended:" + open : ", no leader"));
    return;
  }
  const state::StateMachine& machine =
      cluster_.node(*cluster_.leader()).machine();
  for (std::uint64_t id : acked_jobs_) {
    const state::JobRecord* job = machine.job(id);
    const bool fine =
        job->state == state::JobState::completed ||
        job->state == state::JobState::dead_lettered ||
        (job->state == state::JobState::failed && has_deadline_[id]);
    if (!fine) {
      fail("P1: acked job " + std::to_string(id) + " ended " +
           std::string(state::job_state_name(job->state)));
      return;
    }
  }
  // P4: every node at the same applied index holds the same state.
  const std::uint64_t target = cluster_.checker().committed_index();
  cluster_.run_until(
      [&] {
        for (const SimNode* n : cluster_.nodes()) {
          if (!n->up() || n->state().applied_index() < target) return false;
        }
        return true;
      },
      cluster_.now() + kLivenessBoundUs);
  std::optional<NodeIndex> first;
  for (const SimNode* n : cluster_.nodes()) {
    if (!n->up()) continue;
    if (!first) {
      first = n->index();
      continue;
    }
    const SimNode& a = cluster_.node(*first);
    if (a.state().applied_index() == n->state().applied_index() &&
        !(a.machine() == n->machine())) {
      fail("P4: " + a.name() + " and " + n->name() +
           " hold different state machines at index " +
           std::to_string(n->state().applied_index()));
    }
  }
}

}  // namespace slurp::sim
