// The leader's duty: hand queued jobs to workers under a replicated lease,
// turn their results into completions or retries, and recover what a dead
// worker or a passed deadline leaves behind. Every decision is a command in
// the Raft log, so a new leader resumes from the same state.
//
// Order for a dispatch: pick jobs (next_dispatch) -> propose a lease ->
// when the lease entry is applied, send exactly the jobs it granted. A
// leader that dies between the two leaves active jobs whose lease expires;
// the next leader re-dispatches them, so nothing is lost, and a result that
// arrives late completes the job once (completion is idempotent).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "bus/received_message.h"
#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/printable.h"
#include "protocol/record_codec.h"
#include "src/node/job_batches.h"
#include "src/node/node.h"
#include "src/node/retry_backoff.h"
#include "src/security/policy.h"

namespace slurp::node {

std::uint64_t Node::retry_delay_ms(std::uint64_t attempt) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  return node::retry_delay_ms(options_.limits.job_retry_backoff_ms, attempt,
                              unit(jitter_));
}

void Node::run_pipeline() {
  if (raft_->role() != consensus::RaftRole::leader || stopping_) return;
  const std::uint64_t now = wall_ms();
  dispatch(now);
  if (now_ms() < next_lease_check_ms_) return;
  next_lease_check_ms_ = now_ms() + limits::lease_check_interval_ms;
  expire_leases(now);
  if (auto deadline = state_.earliest_deadline();
      deadline && *deadline <= now && !expire_proposed_) {
    auto index =
        raft_->propose(static_cast<std::uint64_t>(state::CommandKind::expire),
                       encode_record(state::ExpireCommand{now}));
    if (index) expire_proposed_ = true;
  }
}

void Node::dispatch(std::uint64_t now) {
  while (leasing_.size() < limits::leasing_jobs_max) {
    // A full jobs pipe to every worker (or no worker at all) means wait:
    // PUSH would not take the batch.
    if (!(jobs_.get(zmq::sockopt::events) & ZMQ_POLLOUT)) return;
    auto picks =
        state_.next_dispatch(now, limits::dispatch_batch_jobs_max, leasing_);
    if (picks.empty()) return;
    state::LeaseCommand lease;
    lease.term = raft_->term();
    lease.time_ms = now;
    lease.lease_until_ms = now + options_.limits.job_lease_ms;
    for (const state::DispatchPick& p : picks) {
      lease.jobs.push_back(state::LeaseGrant{p.job_id, p.attempt});
    }
    auto index =
        raft_->propose(static_cast<std::uint64_t>(state::CommandKind::lease),
                       encode_record(lease));
    if (!index) {
      spdlog::debug("lease not proposed: {}", index.error().describe());
      return;
    }
    std::vector<std::uint64_t> ids;
    for (const state::DispatchPick& p : picks) {
      leasing_.insert(p.job_id);
      ids.push_back(p.job_id);
    }
    lease_proposals_[*index] = LeaseProposal{raft_->term(), std::move(ids)};
  }
}

// A lease entry was applied. On the leader that proposed it, the granted
// jobs go to the workers now (and only those: a cancel may have won).
void Node::on_lease_applied(const LogEntry& entry,
                            const state::ApplyOutcome& outcome) {
  auto it = lease_proposals_.find(entry.index);
  if (it == lease_proposals_.end()) return;
  for (std::uint64_t id : it->second.job_ids) leasing_.erase(id);
  const bool ours = it->second.term == entry.term &&
                    raft_->role() == consensus::RaftRole::leader;
  lease_proposals_.erase(it);
  if (!ours || outcome.leased.empty()) return;
  // Jobs go out in batches under the message limit: a worker refuses a
  // bigger frame, and a refused batch would only come back after its lease.
  std::vector<Job> jobs;
  for (const state::LeasedJob& leased : outcome.leased) {
    auto job = state_.job_for_dispatch(leased.job_id, leased.attempt,
                                       options_.limits.job_lease_ms);
    if (job) jobs.push_back(std::move(*job));
  }
  for (auto& batch :
       split_job_batches(std::move(jobs), entry.term, options_.node_id)) {
    send_job_batch(batch);
  }
}

void Node::send_job_batch(const JobBatch& batch) {
  const std::string payload = encode(batch);
  bool sent = false;
  try {
    sent =
        jobs_.send(zmq::buffer(payload), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t& e) {
    spdlog::debug("jobs: {}", e.what());
  }
  if (!sent) {
    // Leased but not delivered: the lease runs out and the jobs go again.
    spdlog::warn(
        "jobs: could not send a batch of {}; they run again after "
        "their lease ({} ms)",
        batch.jobs.size(), options_.limits.job_lease_ms);
  }
}

void Node::expire_leases(std::uint64_t now) {
  auto expired = state_.expired_leases(now, limits::leasing_jobs_max);
  state::FailCommand fail;
  fail.time_ms = now;
  for (const state::LeasedJob& job : expired) {
    auto proposed = failing_.find(job.job_id);
    // Already proposed and not yet applied: do not pile up duplicates.
    if (proposed != failing_.end() && proposed->second == job.attempt) {
      continue;
    }
    fail.failures.push_back(
        state::FailedAttempt{job.job_id, job.attempt, "lease expired",
                             now + retry_delay_ms(job.attempt)});
    failing_[job.job_id] = job.attempt;
  }
  if (fail.failures.empty()) return;
  spdlog::info("{} job lease(s) expired; dispatching again after back-off",
               fail.failures.size());
  (void)raft_->propose(static_cast<std::uint64_t>(state::CommandKind::fail),
                       encode_record(fail));
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
  for (std::size_t n = 0; n < 256 && !results_backlog_.empty(); ++n) {
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
  if (raft_->role() != consensus::RaftRole::leader) {
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
    return;
  }
  const std::uint64_t now = wall_ms();
  {
    std::uint64_t ok = 0;
    for (const JobResult& r : batch.results) {
      if (r.ok && r.context) ++ok;
    }
    workers_.record(printable_prefix(batch.worker, limits::key_name_bytes_max),
                    ok, batch.results.size() - ok, now);
  }
  state::FailCommand fail;
  fail.time_ms = now;
  std::vector<state::CompleteCommand> completes(1);
  completes.back().time_ms = now;
  std::size_t bytes = 0;
  for (const JobResult& r : batch.results) {
    if (r.term > raft_->term()) {
      // The worker has seen a newer leader: this one is deposed and must
      // not decide anything more.
      spdlog::warn("results from {} carry term {} > ours {}", batch.worker,
                   r.term, raft_->term());
      return;
    }
    if (r.ok && r.context) {
      state::CompletedResult done{r.job_id, r.attempt, r.term, *r.context};
      const std::size_t size = encode_record(done).size();
      if (bytes + size > limits::complete_command_bytes_max &&
          !completes.back().results.empty()) {
        completes.emplace_back();
        completes.back().time_ms = now;
        bytes = 0;
      }
      bytes += size;
      completes.back().results.push_back(std::move(done));
    } else {
      // A worker's reason is echoed in job_done, job and events: stored as
      // a bounded, escaped prefix like any quoted input.
      fail.failures.push_back(state::FailedAttempt{
          r.job_id, r.attempt,
          printable_prefix(
              r.error.value_or(r.ok ? "result without a context" : "failed"),
              limits::error_reason_bytes_max),
          now + retry_delay_ms(r.attempt)});
    }
  }
  for (state::CompleteCommand& c : completes) {
    if (c.results.empty()) continue;
    auto index =
        raft_->propose(static_cast<std::uint64_t>(state::CommandKind::complete),
                       encode_record(c));
    if (!index) {
      spdlog::warn("results from {} not proposed: {}", batch.worker,
                   index.error().describe());
    }
  }
  if (!fail.failures.empty()) {
    (void)raft_->propose(static_cast<std::uint64_t>(state::CommandKind::fail),
                         encode_record(fail));
  }
}

void Node::on_pipeline_applied(const LogEntry& entry,
                               const state::ApplyOutcome& outcome) {
  switch (static_cast<state::CommandKind>(entry.kind)) {
    case state::CommandKind::lease: on_lease_applied(entry, outcome); break;
    case state::CommandKind::fail: {
      auto fail = decode_record<state::FailCommand>(entry.data);
      if (fail) {
        for (const auto& f : fail->failures) failing_.erase(f.job_id);
      }
      break;
    }
    case state::CommandKind::expire: expire_proposed_ = false; break;
    default: break;
  }
}

// A new leader starts with nothing in flight of its own; leases granted
// by its predecessor stay in the state and expire on their own clock.
void Node::reset_pipeline() {
  leasing_.clear();
  lease_proposals_.clear();
  failing_.clear();
  expire_proposed_ = false;
}

}  // namespace slurp::node
