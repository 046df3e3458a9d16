// The sockets around the leader's pipeline (src/node/leader_pipeline.h,
// which decides everything): each loop turn it may lease, fail expired
// leases and expire deadlines; the batches it returns go out on the jobs
// PUSH; results are drained from the results PULL, decoded, authorized and
// handed to it, or passed on to the leader when this node does not lead.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "bus/received_message.h"
#include "protocol/codec.h"
#include "protocol/limits.h"
#include "src/context/dependency_trim.h"
#include "src/node/job_batches.h"
#include "src/node/node.h"
#include "src/security/policy.h"

namespace slurp::node {

LeaderPipeline::Settings Node::pipeline_settings(const NodeOptions& options) {
  LeaderPipeline::Settings s;
  s.node_id = options.node_id;
  s.job_lease_ms = options.limits.job_lease_ms;
  s.job_retry_backoff_ms = options.limits.job_retry_backoff_ms;
  s.seed = std::random_device{}();
  return s;
}

void Node::run_pipeline() {
  if (raft_->role() != consensus::RaftRole::leader || stopping_) return;
  // A full jobs pipe to every worker (or no worker at all) means wait:
  // PUSH would not take the batch. So does a leased batch still waiting
  // for room: leasing more would only start more leases' clocks.
  const bool can_push = push_unpushed_jobs() &&
                        (jobs_.get(zmq::sockopt::events) & ZMQ_POLLOUT) != 0;
  const std::uint64_t expiries = pipeline_.counters().lease_expiries;
  for (const JobBatch& batch : pipeline_.turn(*raft_, state_, wall_now_ms(),
                                              steady_now_ms(), can_push)) {
    send_job_batch(batch);
  }
  if (const std::uint64_t n = pipeline_.counters().lease_expiries - expiries) {
    spdlog::info("{} job lease(s) expired; dispatching again after back-off",
                 n);
  }
}

void Node::on_pipeline_applied(const LogEntry& entry,
                               const state::ApplyOutcome& outcome) {
  for (const JobBatch& batch :
       pipeline_.on_applied(entry, outcome, *raft_, state_)) {
    send_job_batch(batch);
  }
}

// A batch PUSH does not take waits in unpushed_jobs_: its lease clock
// runs, but it goes as soon as a worker has room, in order. (Before, it
// was dropped to run again after its lease: a leader that leased 4,096
// jobs into pipes with room for a few hundred left the rest idle for
// 30 s, and /usr/include took minutes.)
//
// Jobs that depend on others (directories) first get their dependencies'
// contexts on a reader thread (ContextReads::fill_job_batch). Those
// contexts are in contexts.db already: a job is leased only once its
// dependencies' results were applied, and each Ready's applies are
// committed before the next turn proposes anything. When every reader is
// busy the batch is filled here, as before.
void Node::send_job_batch(const JobBatch& batch) {
  if (metrics_) metrics_->jobs_dispatched(batch.jobs.size());
  const bool needs_fill =
      std::any_of(batch.jobs.begin(), batch.jobs.end(),
                  [](const Job& job) { return !job.depends_on.empty(); });
  if (!needs_fill) return push_job_payload(encode(batch));
  ContextReads::Read read;
  read.request = batch;
  if (context_reads_->submit(std::move(read))) return;
  std::vector<Job> jobs = batch.jobs;
  for (Job& job : jobs) {
    context::fill_dependencies(job, [this](const std::string& address) {
      return state_.context(address);
    });
  }
  for (const JobBatch& split :
       split_job_batches(std::move(jobs), batch.term, batch.leader)) {
    push_job_payload(encode(split));
  }
}

void Node::push_job_payload(std::string payload) {
  if (!unpushed_jobs_.empty() || !try_push_jobs(payload)) {
    unpushed_jobs_.push_back(std::move(payload));
  }
}

bool Node::try_push_jobs(const std::string& payload) {
  try {
    return jobs_.send(zmq::buffer(payload), zmq::send_flags::dontwait)
        .has_value();
  } catch (const zmq::error_t& e) {
    spdlog::debug("jobs: {}", e.what());
    return false;
  }
}

// True when nothing is left waiting.
bool Node::push_unpushed_jobs() {
  while (!unpushed_jobs_.empty()) {
    if (!try_push_jobs(unpushed_jobs_.front())) return false;
    unpushed_jobs_.pop_front();
  }
  return true;
}

// The results socket is drained every turn (its receive pipe is unbounded
// so libzmq never stops its input: fair_intake.h says why) into a backlog
// bounded in bytes; what does not fit is discarded and counted. Results
// are idempotent and leased jobs come back, so a discarded batch costs
// time, never correctness.
void Node::drain_results() {
  for (std::size_t n = 0; n < limits::api_reads_per_turn_max; ++n) {
    auto received = bus::receive_message(results_);
    if (!received) return;
    if (!*received || (*received)->rejected ||
        (*received)->frames.size() != 1) {
      ++results_discarded_;
      continue;
    }
    const std::size_t bytes = (*received)->frames[0].size();
    if (results_backlog_bytes_ + bytes > limits::results_backlog_bytes_max) {
      ++results_discarded_;
      continue;
    }
    results_backlog_bytes_ += bytes;
    results_backlog_.push_back(std::move(received->value()));
  }
}

void Node::serve_results() {
  if (results_discarded_ > 0) {
    spdlog::warn("results: discarded {} malformed or excess batch(es)",
                 results_discarded_);
    audit_refusal(
        "request.rejected", "results",
        make_error(ErrorCode::too_large, std::to_string(results_discarded_) +
                                             " result batches discarded"));
    results_discarded_ = 0;
  }
  // With no leader known, results wait here (within the backlog's byte
  // budget) for the next one instead of being dropped: dropped, their jobs
  // waited out their 30 s leases, and each election on /usr/include added
  // a 30 s tail of jobs done once and done again.
  for (std::size_t n = 0;
       n < 256 && !results_backlog_.empty() && raft_->leader(); ++n) {
    bus::ReceivedMessage message = std::move(results_backlog_.front());
    results_backlog_.pop_front();
    const zmq::message_t& frame = message.frames[0];
    results_backlog_bytes_ -= frame.size();
    std::string_view payload(frame.data<char>(), frame.size());
    auto decoded = decode(payload);
    if (!decoded || !std::holds_alternative<ResultBatch>(*decoded)) {
      audit_refusal(
          "request.rejected", message.user_id,
          make_error(ErrorCode::bad_request, "results: not a results batch"));
      continue;
    }
    if (!message.role || !security::authorize(*message.role, *decoded)) {
      audit_refusal("request.rejected", message.user_id,
                    make_error(ErrorCode::forbidden,
                               "results from a key without role worker or "
                               "node"));
      continue;
    }
    accept_results(std::get<ResultBatch>(*decoded), payload);
  }
}

// Results reach whichever node the worker's PUSH picked; only the leader
// may turn them into commands, so a follower passes them on unchanged.
void Node::accept_results(const ResultBatch& batch, std::string_view payload) {
  using Decision = LeaderPipeline::ResultVerdict::Decision;
  const auto verdict =
      pipeline_.on_results(batch, *raft_, state_, wall_now_ms());
  if (verdict.decision == Decision::deposed) {
    spdlog::warn("results from {} carry term {} > ours {}", batch.worker,
                 verdict.newer_term, raft_->term());
    return;
  }
  if (metrics_) metrics_->results_received(batch.results.size());
  if (verdict.refused) {
    spdlog::warn("results from {} not proposed: {}", batch.worker,
                 verdict.refused->describe());
  }
  if (verdict.decision != Decision::not_leader) return;
  auto leader = raft_->leader();
  auto peer = leader ? peers_.find(*leader) : peers_.end();
  if (peer == peers_.end()) {
    spdlog::info(
        "results from {}: no leader to pass them to; their "
        "leases will expire",
        batch.worker);
    return;
  }
  try {
    (void)peer->second.send(zmq::buffer(payload), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    spdlog::debug("results to {}: {}", *leader, e.what());
  }
}

// A new leader starts with nothing in flight of its own; leases granted
// by its predecessor stay in the state and expire on their own clock.
void Node::reset_pipeline() {
  pipeline_.reset();
  // A new term's leases are new; the old ones expire where they are.
  unpushed_jobs_.clear();
}

}  // namespace slurp::node
