#include "src/node/leader_pipeline.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "protocol/printable.h"
#include "protocol/record_codec.h"
#include "src/node/job_batches.h"
#include "src/node/retry_backoff.h"

namespace slurp::node {
namespace {

bool leading(const consensus::Raft& raft) {
  return raft.role() == consensus::RaftRole::leader;
}

}  // namespace

LeaderPipeline::LeaderPipeline(Settings settings)
    : settings_(std::move(settings)), jitter_state_(settings_.seed) {
  assert(settings_.job_lease_ms > 0);
  assert(settings_.leasing_jobs_max > 0);
  assert(settings_.dispatch_batch_jobs_max > 0);
  assert(settings_.complete_command_bytes_max > 0);
}

// SplitMix64 into [0, 1): the same seed gives the same delays on every
// standard library, which the simulator's replay needs.
std::uint64_t LeaderPipeline::retry_delay_ms(std::uint64_t attempt) {
  std::uint64_t z = (jitter_state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  const double unit = static_cast<double>(z >> 11) * 0x1.0p-53;
  return node::retry_delay_ms(settings_.job_retry_backoff_ms, attempt, unit);
}

Result<std::uint64_t> LeaderPipeline::propose(consensus::Raft& raft,
                                              state::CommandKind kind,
                                              Bytes data) {
  auto index = raft.propose(static_cast<std::uint64_t>(kind), std::move(data));
  if (!index) ++counters_.proposals_refused;
  return index;
}

std::vector<JobBatch> LeaderPipeline::turn(consensus::Raft& raft,
                                           const state::StateMachine& machine,
                                           std::uint64_t wall_now_ms,
                                           std::uint64_t steady_now_ms,
                                           bool can_push) {
  if (!leading(raft)) return {};
  std::vector<JobBatch> batches;
  if (can_push) {
    dispatch(raft, machine, wall_now_ms);
    if (fault_ == Fault::ignore_dependencies) {
      batches = push_waiting(raft, machine);
    }
  }
  if (steady_now_ms < next_lease_check_ms_) return batches;
  next_lease_check_ms_ = steady_now_ms + settings_.lease_check_interval_ms;
  if (fault_ != Fault::no_lease_expiry) {
    expire_leases(raft, machine, wall_now_ms);
  }
  expire_deadlines(raft, machine, wall_now_ms);
  return batches;
}

void LeaderPipeline::dispatch(consensus::Raft& raft,
                              const state::StateMachine& machine,
                              std::uint64_t wall_now_ms) {
  for (std::size_t leases = 0;
       leases < settings_.dispatch_leases_per_turn_max &&
       leasing_.size() < settings_.leasing_jobs_max;
       ++leases) {
    const std::size_t room =
        std::min(settings_.dispatch_batch_jobs_max,
                 settings_.leasing_jobs_max - leasing_.size());
    auto picks = machine.next_dispatch(wall_now_ms, room, leasing_);
    if (picks.empty()) return;
    std::size_t dependencies = 0;
    for (std::size_t i = 0; i < picks.size(); ++i) {
      const state::JobRecord* job = machine.job(picks[i].job_id);
      dependencies += job != nullptr ? job->depends_on.size() : 0;
      if (i > 0 && dependencies > settings_.dispatch_batch_dependencies_max) {
        picks.resize(i);  // the rest wait for the next lease
        break;
      }
    }
    state::LeaseCommand lease;
    lease.term = raft.term();
    lease.time_ms = wall_now_ms;
    lease.lease_until_ms = wall_now_ms + settings_.job_lease_ms;
    for (const state::DispatchPick& p : picks) {
      lease.jobs.push_back(state::LeaseGrant{p.job_id, p.attempt});
    }
    auto index = propose(raft, state::CommandKind::lease, encode_record(lease));
    if (!index) return;  // queue_full or not leader: next turn
    ++counters_.leases_proposed;
    std::vector<std::uint64_t> ids;
    for (const state::DispatchPick& p : picks) {
      leasing_.insert(p.job_id);
      ids.push_back(p.job_id);
    }
    lease_proposals_[*index] = LeaseProposal{raft.term(), std::move(ids)};
  }
}

void LeaderPipeline::expire_leases(consensus::Raft& raft,
                                   const state::StateMachine& machine,
                                   std::uint64_t wall_now_ms) {
  auto expired =
      machine.expired_leases(wall_now_ms, settings_.leasing_jobs_max);
  state::FailCommand fail;
  fail.time_ms = wall_now_ms;
  std::vector<std::uint64_t> ids;
  for (const state::LeasedJob& job : expired) {
    auto proposed = failing_.find(job.job_id);
    // Already proposed and not yet applied: do not pile up duplicates.
    if (proposed != failing_.end() && proposed->second == job.attempt) {
      continue;
    }
    fail.failures.push_back(
        state::FailedAttempt{job.job_id, job.attempt, "lease expired",
                             wall_now_ms + retry_delay_ms(job.attempt)});
    ids.push_back(job.job_id);
  }
  if (fail.failures.empty()) return;
  auto index = propose(raft, state::CommandKind::fail, encode_record(fail));
  if (!index) return;  // proposed again at the next check
  for (const state::FailedAttempt& f : fail.failures) {
    failing_[f.job_id] = f.attempt;
  }
  counters_.lease_expiries += fail.failures.size();
  fail_proposals_[*index] = std::move(ids);
}

void LeaderPipeline::expire_deadlines(consensus::Raft& raft,
                                      const state::StateMachine& machine,
                                      std::uint64_t wall_now_ms) {
  auto deadline = machine.earliest_deadline();
  if (!deadline || *deadline > wall_now_ms || expire_index_) return;
  auto index = propose(raft, state::CommandKind::expire,
                       encode_record(state::ExpireCommand{wall_now_ms}));
  if (index) expire_index_ = *index;
}

std::vector<JobBatch> LeaderPipeline::on_applied(
    const LogEntry& entry, const state::ApplyOutcome& outcome,
    const consensus::Raft& raft, const state::StateMachine& machine) {
  if (fault_ == Fault::ignore_dependencies)
    note_waiting(entry, outcome, machine);
  // Whatever entry took an index we proposed at, that proposal is no
  // longer in flight: applied, or replaced by another leader's entry.
  if (auto it = fail_proposals_.find(entry.index);
      it != fail_proposals_.end()) {
    for (std::uint64_t id : it->second) failing_.erase(id);
    fail_proposals_.erase(it);
  }
  if (expire_index_ == entry.index) expire_index_.reset();
  auto it = lease_proposals_.find(entry.index);
  if (it == lease_proposals_.end()) {
    // A lease an earlier leader proposed that commits only now, in our
    // term: that leader applied it, if ever, when it no longer led, so
    // nobody pushed its jobs, and they sat out their whole lease. On
    // /usr/include about 2,000 jobs, leased by a leader whose followers had
    // stopped acknowledging, waited 30 s after each election. Their grants
    // are in the log, so we send them. A lease that leader did apply and
    // push while it led is normally applied here before we lead; when we
    // lag, its jobs go twice and the later result is a duplicate the
    // state machine ignores (QueueCounters::duplicate_generations).
    const bool orphaned = leading(raft) && entry.term < raft.term() &&
                          static_cast<state::CommandKind>(entry.kind) ==
                              state::CommandKind::lease;
    if (!orphaned) return {};
    ++counters_.orphaned_leases_pushed;
    return push_leased(raft.term(), outcome, machine);
  }
  for (std::uint64_t id : it->second.job_ids) leasing_.erase(id);
  const bool ours =
      it->second.term == entry.term && leading(raft) &&
      raft.term() == entry.term &&
      static_cast<state::CommandKind>(entry.kind) == state::CommandKind::lease;
  lease_proposals_.erase(it);
  if (!ours) return {};
  ++counters_.leases_applied;
  return push_leased(entry.term, outcome, machine);
}

// Jobs go out in batches under the message limit: a worker refuses a
// bigger frame, and a refused batch would only come back after its lease.
std::vector<JobBatch> LeaderPipeline::push_leased(
    std::uint64_t term, const state::ApplyOutcome& outcome,
    const state::StateMachine& machine) {
  if (outcome.leased.empty()) return {};
  std::vector<Job> jobs;
  for (const state::LeasedJob& leased : outcome.leased) {
    auto job = machine.job_for_dispatch(leased.job_id, leased.attempt,
                                        settings_.job_lease_ms);
    if (job) jobs.push_back(std::move(*job));
  }
  counters_.jobs_pushed += jobs.size();
  return split_job_batches(std::move(jobs), term, settings_.node_id);
}

// Fault::ignore_dependencies: remembers jobs that were enqueued waiting,
// so turn() can push them without a lease.
void LeaderPipeline::note_waiting(const LogEntry& entry,
                                  const state::ApplyOutcome& outcome,
                                  const state::StateMachine& machine) {
  if (static_cast<state::CommandKind>(entry.kind) !=
          state::CommandKind::enqueue ||
      outcome.error || outcome.outcome != "queued") {
    return;
  }
  const state::JobRecord* job = machine.job(outcome.job_id);
  if (job && job->state == state::JobState::waiting) {
    fault_waiting_.insert(job->job_id);
  }
}

std::vector<JobBatch> LeaderPipeline::push_waiting(
    const consensus::Raft& raft, const state::StateMachine& machine) {
  std::vector<Job> jobs;
  for (auto it = fault_waiting_.begin(); it != fault_waiting_.end();) {
    const state::JobRecord* job = machine.job(*it);
    if (!job || job->state != state::JobState::waiting) {
      it = fault_waiting_.erase(it);
      continue;
    }
    if (fault_pushed_.insert(*it).second) {
      auto wire = machine.job_for_dispatch(*it, job->attempts + 1,
                                           settings_.job_lease_ms);
      if (wire) jobs.push_back(std::move(*wire));
    }
    ++it;
  }
  counters_.jobs_pushed += jobs.size();
  if (jobs.empty()) return {};
  return split_job_batches(std::move(jobs), raft.term(), settings_.node_id);
}

LeaderPipeline::ResultVerdict LeaderPipeline::on_results(
    const ResultBatch& batch, consensus::Raft& raft,
    const state::StateMachine& machine, std::uint64_t wall_now_ms) {
  ResultVerdict verdict;
  if (!leading(raft)) {
    verdict.decision = ResultVerdict::Decision::not_leader;
    return verdict;
  }
  std::uint64_t ok = 0;
  for (const JobResult& r : batch.results) {
    if (r.ok && r.context) ++ok;
  }
  workers_.record(printable_prefix(batch.worker, limits::key_name_bytes_max),
                  ok, batch.results.size() - ok, wall_now_ms);
  for (const JobResult& r : batch.results) {
    if (r.term > raft.term()) {
      // The worker has seen a newer leader: this one is deposed and must
      // not decide anything more.
      ++counters_.results_deposed;
      verdict.decision = ResultVerdict::Decision::deposed;
      verdict.newer_term = r.term;
      return verdict;
    }
  }
  state::FailCommand fail;
  fail.time_ms = wall_now_ms;
  std::vector<state::CompleteCommand> completes(1);
  completes.back().time_ms = wall_now_ms;
  std::vector<state::UpdateContextCommand> twice;  // Fault::store_twice
  std::size_t bytes = 0;
  for (const JobResult& r : batch.results) {
    if (r.ok && r.context) {
      state::CompletedResult done{r.job_id, r.attempt, r.term, *r.context};
      const std::size_t size = encode_record(done).size();
      if (bytes + size > settings_.complete_command_bytes_max &&
          !completes.back().results.empty()) {
        completes.emplace_back();
        completes.back().time_ms = wall_now_ms;
        bytes = 0;
      }
      bytes += size;
      if (fault_ == Fault::store_twice) {
        // As an admin, whom the ownership rule lets overwrite any context:
        // the fault is the second store, not who makes it.
        Context context = *r.context;
        if (const state::JobRecord* job = machine.job(r.job_id)) {
          context.address = job->address;
        }
        twice.push_back({std::move(context), "worker", wall_now_ms, "admin"});
      }
      completes.back().results.push_back(std::move(done));
    } else {
      // A worker's reason is echoed in job_done, job and events: stored as
      // a bounded, escaped prefix like any quoted input.
      fail.failures.push_back(state::FailedAttempt{
          r.job_id, r.attempt,
          printable_prefix(
              r.error.value_or(r.ok ? "result without a context" : "failed"),
              limits::error_reason_bytes_max),
          wall_now_ms + retry_delay_ms(r.attempt)});
    }
  }
  auto note = [&](const Result<std::uint64_t>& index) {
    if (index) {
      ++verdict.commands_proposed;
    } else if (!verdict.refused) {
      verdict.refused = index.error();
    }
  };
  for (state::CompleteCommand& c : completes) {
    if (c.results.empty()) continue;
    note(propose(raft, state::CommandKind::complete, encode_record(c)));
  }
  for (const state::UpdateContextCommand& u : twice) {
    note(propose(raft, state::CommandKind::update_context, encode_record(u)));
  }
  if (!fail.failures.empty()) {
    note(propose(raft, state::CommandKind::fail, encode_record(fail)));
  }
  return verdict;
}

void LeaderPipeline::reset() {
  leasing_.clear();
  lease_proposals_.clear();
  failing_.clear();
  fail_proposals_.clear();
  expire_index_.reset();
  fault_pushed_.clear();
}

}  // namespace slurp::node
