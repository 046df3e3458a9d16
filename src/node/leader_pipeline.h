// The leader's duty: hand queued jobs to workers under a replicated lease,
// turn their results into completions or retries, and recover what a dead
// worker or a passed deadline leaves behind. Every decision is a command in
// the Raft log, so a new leader resumes from the same state.
//
// Order for a dispatch: pick jobs (next_dispatch) -> propose a lease ->
// when the lease entry is applied, push exactly the jobs it granted. A
// leader that dies between the two leaves active jobs whose lease expires;
// the next leader re-dispatches them, so nothing is lost, and a result that
// arrives late completes the job once (completion is idempotent).
//
// Sans-IO: no sockets, no clock, no threads, no logging of its own (only
// split_job_batches warns when it strips an oversized job's dependency
// contexts); what happened is returned for the shell to log. Inputs are calls
// with the time passed in (wall ms for what goes into commands, steady ms
// for its own timers), the Raft core to propose to and read role and term
// from, and the state machine to read; outputs are the JobBatches to push
// and the verdicts returned. slurpd (src/node/node_pipeline.cc) and the
// simulator (tests/sim/sim_node.cc) both drive this one class.
//
// Threads: one owner thread (the node thread, or the simulator's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/limits.h"
#include "protocol/messages.h"
#include "protocol/result.h"
#include "src/consensus/raft.h"
#include "src/node/worker_registry.h"
#include "src/state/state_machine.h"

namespace slurp::node {

class LeaderPipeline {
 public:
  struct Settings {
    std::string node_id;  // the JobBatch's leader
    std::uint64_t job_lease_ms = 30000;
    std::uint64_t job_retry_backoff_ms = 1000;  // retry_backoff.h's base
    // Bounds: slurpd and the simulator both use protocol/limits.h's; unit
    // tests shrink them to reach them with a few jobs.
    std::size_t leasing_jobs_max = limits::leasing_jobs_max;
    std::size_t dispatch_batch_jobs_max = limits::dispatch_batch_jobs_max;
    std::size_t dispatch_batch_dependencies_max =
        limits::dispatch_batch_dependencies_max;
    std::size_t dispatch_leases_per_turn_max =
        limits::dispatch_leases_per_turn_max;
    std::uint64_t lease_check_interval_ms = limits::lease_check_interval_ms;
    std::size_t complete_command_bytes_max = limits::complete_command_bytes_max;
    std::uint64_t seed = 1;  // the retry jitter's
  };

  // Bugs put in on purpose so the simulator's invariants show their teeth
  // (tests/sim/sim_pipeline.h), as consensus::Raft::Fault does for Raft.
  enum class Fault {
    none,
    ignore_dependencies,  // waiting jobs are pushed too (P3)
    store_twice,          // a result is also written by update_context (P2)
    no_lease_expiry,      // expired leases are never failed (P1)
  };

  // What became of a worker's results batch.
  struct ResultVerdict {
    enum class Decision {
      proposed,    // turned into complete/fail commands (some may be refused)
      not_leader,  // nothing done: the shell passes the batch on
      deposed,     // a result carries a newer term: nothing decided
    };
    Decision decision = Decision::proposed;
    std::uint64_t newer_term = 0;  // deposed: the term the result carried
    std::size_t commands_proposed = 0;
    std::optional<Error> refused;  // the first proposal Raft refused
  };

  // Cumulative, for this instance's life.
  struct Counters {
    std::uint64_t leases_proposed = 0;
    std::uint64_t leases_applied = 0;  // ours, applied while we led its term
    std::uint64_t jobs_pushed = 0;
    std::uint64_t lease_expiries = 0;  // expired leases proposed as failed
    std::uint64_t results_deposed = 0;
    std::uint64_t proposals_refused = 0;
    // Leases of an earlier term that committed in ours (on_applied).
    std::uint64_t orphaned_leases_pushed = 0;
    Counters& operator+=(const Counters& other) {
      leases_proposed += other.leases_proposed;
      leases_applied += other.leases_applied;
      jobs_pushed += other.jobs_pushed;
      lease_expiries += other.lease_expiries;
      results_deposed += other.results_deposed;
      proposals_refused += other.proposals_refused;
      orphaned_leases_pushed += other.orphaned_leases_pushed;
      return *this;
    }
  };

  // Asserts that `settings` are sane (configuration, not input).
  explicit LeaderPipeline(Settings settings);

  // One loop turn: on the leader, lease what can be dispatched (when
  // `can_push`: a full jobs pipe, or no worker, means wait), fail expired
  // leases with backoff and expire passed deadlines, each at most one
  // proposal in flight per job (or per deadline sweep). Returns batches to
  // push now (only under Fault::ignore_dependencies: a correct leader
  // pushes from on_applied).
  std::vector<JobBatch> turn(consensus::Raft& raft,
                             const state::StateMachine& machine,
                             std::uint64_t wall_now_ms,
                             std::uint64_t steady_now_ms, bool can_push);

  // `entry` was applied with `outcome` (`machine` shows the state after).
  // A lease this leader proposed in this term returns the batches of the
  // jobs it granted (and only those: a cancel may have won); any entry at
  // an index this pipeline proposed a fail or expire at ends that
  // proposal's time in flight.
  std::vector<JobBatch> on_applied(const LogEntry& entry,
                                   const state::ApplyOutcome& outcome,
                                   const consensus::Raft& raft,
                                   const state::StateMachine& machine);

  // A worker's results, decoded and authorized by the shell. Only the
  // leader decides: complete commands split under
  // complete_command_bytes_max, one fail command for the failures.
  ResultVerdict on_results(const ResultBatch& batch, consensus::Raft& raft,
                           const state::StateMachine& machine,
                           std::uint64_t wall_now_ms);

  // Leadership gained or lost: forget everything in flight. Leases granted
  // before stay in the state and expire on their own clock.
  void reset();

  const WorkerRegistry& workers() const { return workers_; }
  const Counters& counters() const { return counters_; }
  // Jobs in proposed leases not yet applied.
  std::size_t leasing() const { return leasing_.size(); }

  void inject_fault_for_testing(Fault fault) { fault_ = fault; }

 private:
  struct LeaseProposal {
    std::uint64_t term = 0;
    std::vector<std::uint64_t> job_ids;
  };

  void dispatch(consensus::Raft& raft, const state::StateMachine& machine,
                std::uint64_t wall_now_ms);
  void expire_leases(consensus::Raft& raft, const state::StateMachine& machine,
                     std::uint64_t wall_now_ms);
  void expire_deadlines(consensus::Raft& raft,
                        const state::StateMachine& machine,
                        std::uint64_t wall_now_ms);
  // The batches carry `term`, the term of the leader that pushes them;
  // results echo it, and a result with a newer term tells a leader it was
  // deposed (on_results).
  std::vector<JobBatch> push_leased(std::uint64_t term,
                                    const state::ApplyOutcome& outcome,
                                    const state::StateMachine& machine);
  std::vector<JobBatch> push_waiting(const consensus::Raft& raft,
                                     const state::StateMachine& machine);
  void note_waiting(const LogEntry& entry, const state::ApplyOutcome& outcome,
                    const state::StateMachine& machine);
  std::uint64_t retry_delay_ms(std::uint64_t attempt);
  Result<std::uint64_t> propose(consensus::Raft& raft, state::CommandKind kind,
                                Bytes data);

  Settings settings_;
  std::uint64_t jitter_state_;  // SplitMix64
  Fault fault_ = Fault::none;
  WorkerRegistry workers_;
  Counters counters_;

  // In flight (cleared by reset): jobs in proposed leases, and the leases
  // by log index; failures proposed for expired leases (job -> attempt)
  // and their proposals by log index; the index of an expire proposal.
  std::set<std::uint64_t> leasing_;
  std::map<std::uint64_t, LeaseProposal> lease_proposals_;
  std::map<std::uint64_t, std::uint64_t> failing_;
  std::map<std::uint64_t, std::vector<std::uint64_t>> fail_proposals_;
  std::optional<std::uint64_t> expire_index_;
  std::uint64_t next_lease_check_ms_ = 0;  // steady

  // Fault::ignore_dependencies: waiting jobs seen applied, and those
  // pushed since the last reset.
  std::set<std::uint64_t> fault_waiting_;
  std::set<std::uint64_t> fault_pushed_;
};

}  // namespace slurp::node
