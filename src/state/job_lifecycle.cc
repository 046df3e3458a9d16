// The worker-driven commands (lease, complete, fail, expire) and the one
// path every job takes into an end state. Rules: src/state/state_machine.h.
#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "protocol/field_rules.h"
#include "src/state/state_machine.h"

namespace slurp::state {
namespace {

std::string num(std::uint64_t n) {
  return std::to_string(n);
}

}  // namespace

ApplyOutcome StateMachine::apply_lease(const LeaseCommand& command) {
  ApplyOutcome out;
  for (const LeaseGrant& grant : command.jobs) {
    auto it = jobs_.find(grant.job_id);
    // Skipped: the leader raced a cancel, a result or another lease, or
    // the grant is stale (its attempt number was already used).
    if (it == jobs_.end() || it->second.state != JobState::queued ||
        grant.attempt <= it->second.attempts) {
      continue;
    }
    JobRecord& job = it->second;
    unindex_job(job);
    job.state = JobState::active;
    job.attempts = grant.attempt;
    job.lease_until_ms = command.lease_until_ms;
    index_job(job);
    out.leased.push_back({job.job_id, job.attempts, job.lease_until_ms});
    out.events.push_back({"job.dispatched",
                          {{"address", job.address},
                           {"attempt", num(job.attempts)},
                           {"job_id", num(job.job_id)},
                           {"lease_until_ms", num(job.lease_until_ms)},
                           {"term", num(command.term)}}});
  }
  return out;
}

ApplyOutcome StateMachine::apply_complete(CompleteCommand command) {
  ApplyOutcome out;
  for (CompletedResult& result : command.results) {
    complete_one(std::move(result), command.time_ms, out);
  }
  return out;
}

void StateMachine::complete_one(CompletedResult result, std::uint64_t time_ms,
                                ApplyOutcome& out) {
  auto it = jobs_.find(result.job_id);
  if (it == jobs_.end() || job_state_ended(it->second.state)) {
    // Idempotent: the job's one context is stored already, or the job
    // ended without one; a result now is work done twice or too late.
    const bool wasted =
        it != jobs_.end() && (it->second.state == JobState::completed ||
                              it->second.state == JobState::cancelled);
    ++(wasted ? counters_.duplicate_generations : counters_.late_results);
    out.events.push_back(
        {"job.duplicate_result",
         {{"attempt", num(result.attempt)},
          {"job_id", num(result.job_id)},
          {"state", it == jobs_.end()
                        ? std::string("unknown")
                        : std::string(job_state_name(it->second.state))}}});
    return;
  }
  // A context that breaks the value rules is never stored: the attempt
  // fails with the reason, like a worker's ok: false (no backoff: the
  // leader's jitter is not in this command; attempts still bound it).
  if (Status valid = check_result_context(result.context, "context."); !valid) {
    fail_one(
        {result.job_id, result.attempt,
         "the worker's result was refused: " + valid.error().reason, time_ms},
        time_ms, out);
    return;
  }
  // Any attempt of a job not yet ended is valid work, even after its lease
  // ran out and the job went back to the queue.
  JobRecord& job = it->second;
  Context& context = result.context;
  context.address = job.address;
  std::optional<StoredContext> stored = store_->find(job.address);
  context.version = stored ? stored->context.version + 1 : 1;
  // The cache key is a hash the cluster computed (ContextMeta): the
  // leader's when it verified the job's, else the worker's, which it
  // computed from the bytes it read. The job's unverified claim is never
  // used: it may describe other bytes than the worker saw.
  std::optional<std::string> hash;
  if (job.content_hash_verified) {
    hash = job.content_hash;
  } else if (!context.content_hash.empty()) {
    hash = context.content_hash;
  }
  const bool verified = hash.has_value();
  ContextMeta meta{std::move(hash), job.role, context.engine_version,
                   job.job_id, verified};
  out.events.push_back({"context.stored",
                        {{"address", job.address},
                         {"job_id", num(job.job_id)},
                         {"version", num(context.version)}}});
  out.events.push_back({"job.completed",
                        {{"address", job.address},
                         {"attempt", num(result.attempt)},
                         {"job_id", num(job.job_id)},
                         {"version", num(context.version)}}});
  // The address keeps its owner (ownership rules); the first context
  // stored there makes the job's requester the owner.
  std::string owner =
      !stored || stored->owner.empty() ? job.requester : stored->owner;
  store_context(
      StoredContext{std::move(context), std::move(meta), std::move(owner)},
      stored);
  end_job(job, JobState::completed, time_ms, std::nullopt, out);
}

ApplyOutcome StateMachine::apply_fail(const FailCommand& command) {
  ApplyOutcome out;
  for (const FailedAttempt& failure : command.failures) {
    fail_one(failure, command.time_ms, out);
  }
  return out;
}

void StateMachine::fail_one(const FailedAttempt& failure, std::uint64_t time_ms,
                            ApplyOutcome& out) {
  auto it = jobs_.find(failure.job_id);
  // Only the current attempt of an active job can fail. An older attempt's
  // failure is stale; a queued job's current attempt already failed (its
  // lease expired first), so counting it again would burn an attempt.
  if (it == jobs_.end() || it->second.state != JobState::active ||
      failure.attempt != it->second.attempts) {
    out.events.push_back({"job.failure_ignored",
                          {{"attempt", num(failure.attempt)},
                           {"error", failure.error},
                           {"job_id", num(failure.job_id)}}});
    return;
  }
  JobRecord& job = it->second;
  if (job.attempts >= limits_.job_attempts_max) {
    ++counters_.dead_lettered;
    out.events.push_back({"job.dead_lettered",
                          {{"address", job.address},
                           {"attempt", num(job.attempts)},
                           {"error", failure.error},
                           {"job_id", num(job.job_id)}}});
    end_job(job, JobState::dead_lettered, time_ms, failure.error, out);
    return;
  }
  unindex_job(job);
  job.state = JobState::queued;
  job.error = failure.error;
  job.lease_until_ms = 0;
  // Dispatchable from the backoff's end, and aging from then.
  job.queued_since_ms = std::max(time_ms, failure.retry_not_before_ms);
  index_job(job);
  ++counters_.retries;
  out.events.push_back({"job.retry",
                        {{"attempt", num(job.attempts)},
                         {"error", failure.error},
                         {"job_id", num(job.job_id)},
                         {"not_before_ms", num(job.queued_since_ms)}}});
}

// Bounded by the number of jobs: each round ends one and drops its entry.
ApplyOutcome StateMachine::apply_expire(const ExpireCommand& command) {
  ApplyOutcome out;
  while (!deadlines_.empty() && deadlines_.begin()->first <= command.time_ms) {
    auto it = jobs_.find(deadlines_.begin()->second);
    assert(it != jobs_.end());
    JobRecord& job = it->second;
    out.events.push_back({"job.failed",
                          {{"address", job.address},
                           {"error", "deadline exceeded"},
                           {"job_id", num(job.job_id)},
                           {"was", std::string(job_state_name(job.state))}}});
    end_job(job, JobState::failed, command.time_ms, "deadline exceeded", out);
  }
  return out;
}

// Every transition into an end state goes through here, so the indexes,
// the ended-job bound and the dependants cannot be bypassed. May forget
// `job` itself (when ended_jobs_max is 0): it is not used afterwards.
void StateMachine::end_job(JobRecord& job, JobState state,
                           std::uint64_t time_ms,
                           std::optional<std::string> error,
                           ApplyOutcome& out) {
  assert(job_state_ended(state) && !job_state_ended(job.state));
  unindex_job(job);
  job.state = state;
  job.ended_ms = time_ms;
  job.error = std::move(error);
  job.waiting_on.clear();
  job.lease_until_ms = 0;
  // The content was only there to be dispatched; an ended job never runs
  // again, and keeping every file's bytes would make the state (and each
  // snapshot) as big as everything ever submitted.
  job.content.reset();
  index_job(job);
  out.ended.push_back({job.job_id, job.state, job.error});
  ended_order_.push_back(job.job_id);
  release_dependants(job.job_id, job.address, state, time_ms, out);
  forget_ended_beyond_limit();
}

// The dependency rules: the jobs waiting for `job_id` lose that wait; a
// dependency that ended without a context is recorded (degrade, not fail);
// a job with no wait left is queued from time_ms.
void StateMachine::release_dependants(std::uint64_t job_id,
                                      const std::string& address,
                                      JobState ended_state,
                                      std::uint64_t time_ms,
                                      ApplyOutcome& out) {
  auto first = dependants_.lower_bound({job_id, 0});
  auto last = dependants_.upper_bound({job_id, UINT64_MAX});
  std::vector<std::uint64_t> waiting;
  for (auto it = first; it != last; ++it) waiting.push_back(it->second);
  dependants_.erase(first, last);
  for (std::uint64_t id : waiting) {
    auto it = jobs_.find(id);
    assert(it != jobs_.end() && it->second.state == JobState::waiting);
    JobRecord& dependant = it->second;
    auto& open = dependant.waiting_on;
    auto pos = std::lower_bound(open.begin(), open.end(), job_id);
    assert(pos != open.end() && *pos == job_id);
    open.erase(pos);
    if (ended_state != JobState::completed) {
      dependant.failed_dependencies.push_back(address);
    }
    if (!open.empty()) continue;
    unindex_job(dependant);  // waiting with no edges left to drop
    dependant.state = JobState::queued;
    dependant.queued_since_ms = time_ms;
    index_job(dependant);
    out.events.push_back(
        {"job.released",
         {{"address", dependant.address},
          {"failed_dependencies", num(dependant.failed_dependencies.size())},
          {"job_id", num(dependant.job_id)}}});
  }
}

void StateMachine::forget_ended_beyond_limit() {
  while (ended_order_.size() > limits_.ended_jobs_max) {
    auto it = jobs_.find(ended_order_.front());
    assert(it != jobs_.end() && job_state_ended(it->second.state));
    const JobRecord& job = it->second;
    const auto p = static_cast<std::size_t>(job.priority);
    if (job.state == JobState::completed) {
      ++forgotten_completed_[p];
    } else if (job.state == JobState::failed ||
               job.state == JobState::dead_lettered) {
      ++forgotten_failed_[p];
    }
    unindex_job(job);
    jobs_.erase(it);
    ended_order_.pop_front();
  }
}

}  // namespace slurp::state
