// Pipeline mode (slurp-sim --pipeline): the real queue state machine
// (state::StateMachine) and the real leader's pipeline (node::LeaderPipeline,
// the class slurpd runs) on every node, with simulated job clients and
// workers around them:
//
//   clients   propose EnqueueCommand (requester + request_id; some with a
//             content_hash so the cache/attach rules fire, some with
//             depends_on earlier addresses, some with a deadline) at the
//             node they think leads; retry with the SAME request_id after a
//             timeout, a refusal or a crash of the accepting node.
//   leader    each SimNode owns a LeaderPipeline (a new one per life,
//             seeded from the run's PRNG, reset when leadership changes)
//             and runs it where slurpd's loop does: a PipelineTurnInput
//             after each tick (turn: lease, lease expiry, deadlines), each
//             applied entry (on_applied: the batches of its own lease), and
//             a ResultInput for each results batch that reaches the node
//             (on_results). Inputs queue while the node waits for an
//             fsync, like everything else it is sent. The batches the
//             pipeline returns are what the workers receive (on_jobs_pushed
//             below); SimPipeline decides nothing for the leader.
//   workers   take 5-80 ms per job, fail some, crash mid-job (their jobs
//             come back through lease expiry), and send each result to a
//             random node; a node whose pipeline answers not_leader passes
//             it to the leader it knows (a deposed leader too), else drops
//             it. Pushes and results are lost with a per-seed probability
//             until the heal.
//
// Invariants (checked as the run goes, and at the end):
//   P1 drained     once faults heal, every acknowledged job ends completed,
//                  dead_lettered, or failed by its deadline (within
//                  kDrainBoundUs).
//   P2 store once  per address, the number of context.stored events equals
//                  the number of distinct jobs for it that completed, and
//                  the stored version equals that number; no job completes
//                  twice; and a new job for (address, content_hash, role)
//                  is only created when no open job and no stored context
//                  from the same content could answer it (cache/attach).
//   P3 deps first  when a lease for job J applies (any node) and when a
//                  leader pushes J to a worker, every job J waited for at
//                  its enqueue has ended in that node's state machine.
//   P4 same state  state machines of nodes at the same applied index are
//                  equal (sampled by snapshot digest every 64 indices, and
//                  operator== on every node at the end).
//   P5 dedup       a retried request_id is always answered with the job id
//                  its first acknowledgement named.
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/state/state_machine.h"
#include "tests/sim/sim_node.h"

namespace slurp::sim {

class Cluster;

inline constexpr Micros kDrainBoundUs = 60'000 * kMicrosPerMs;

// Bugs put in on purpose so the new invariants show their teeth: switched
// on in every node's real LeaderPipeline (inject_fault_for_testing).
//   ignore_dependencies  the leader also pushes waiting jobs (P3)
//   store_twice          a result is also written with update_context (P2)
//   no_lease_expiry      the leader never fails expired leases (P1)
using PipelineFault = node::LeaderPipeline::Fault;
std::string_view pipeline_fault_name(PipelineFault fault);
std::optional<PipelineFault> pipeline_fault_from_name(std::string_view name);

struct PipelineSettings {
  std::size_t clients = 2;
  std::size_t requests_per_client = 15;
  std::size_t workers = 3;
  std::size_t addresses = 8;
  Micros think_us_min = 20 * kMicrosPerMs;
  Micros think_us_max = 600 * kMicrosPerMs;
  Micros client_timeout_us = 500 * kMicrosPerMs;
  Micros work_us_min = 5 * kMicrosPerMs;
  Micros work_us_max = 80 * kMicrosPerMs;
  double work_fail = 0.1;
  double worker_crash = 0.05;  // per job, until the heal
  double push_loss = 0.05;     // until the heal
  double result_loss = 0.05;   // until the heal
  std::uint64_t lease_ms = 300;
  std::uint64_t backoff_ms = 20;
  PipelineFault fault = PipelineFault::none;
};

struct PipelineCounters {
  std::uint64_t requests_acked = 0;
  std::uint64_t requests_refused = 0;
  std::uint64_t client_retries = 0;
  std::uint64_t leases = 0;
  std::uint64_t pushes = 0;
  std::uint64_t pushes_lost = 0;
  std::uint64_t worker_crashes = 0;
  std::uint64_t results = 0;
  std::uint64_t results_lost = 0;
  std::uint64_t results_forwarded = 0;
  std::uint64_t completed = 0;
  std::uint64_t dead_lettered = 0;
  std::uint64_t deadline_failed = 0;
  std::uint64_t cache_hits = 0;
  std::uint64_t attached = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t lease_expiries = 0;
};

class SimPipeline {
 public:
  SimPipeline(PipelineSettings settings, Cluster& cluster);

  void start();
  void on_proposal(const SimNode& node, const ProposalInput& proposal,
                   const Result<std::uint64_t>& outcome);
  void on_state_applied(const SimNode& node, const LogEntry& entry,
                        const state::ApplyOutcome& outcome);
  // A node's LeaderPipeline returned batches: they go to the workers.
  void on_jobs_pushed(const SimNode& node,
                      const std::vector<JobBatch>& batches);
  // A node that does not lead passes results on, as slurpd does.
  void pass_results_on(const SimNode& node, const ResultInput& results);
  // The node's RequestTable handed a client's request back: answered
  // (applied as proposed) or to be sent again.
  void on_request_applied(std::size_t client, std::uint64_t request,
                          const state::ApplyOutcome& outcome);
  void on_request_again(std::size_t client, std::uint64_t request);
  // Faults over: no more losses or worker crashes.
  void heal();
  // Every client done and every acknowledged job ended on the leader.
  bool drained() const;
  // P1 and P4 at the end of a run (after drained() or its bound).
  void check_end(bool drained);
  // Its own counts plus the nodes' LeaderPipeline counters.
  PipelineCounters counters() const;

 private:
  struct Request {
    std::string request_id;
    state::EnqueueCommand command;
    std::optional<std::uint64_t> job_id;  // first acknowledgement
    bool refused = false;
  };
  struct Client {
    std::vector<Request> requests;
    std::size_t next = 0;  // the request in flight (== size: done)
    std::uint64_t generation = 0;
    NodeIndex target = 0;
    bool resend = false;  // re-send the acked request once more (dedup)
  };
  struct WorkItem {
    std::uint64_t job_id = 0;
    std::uint64_t attempt = 0;
    std::uint64_t term = 0;
    std::string address;
    std::optional<std::string> content_hash;
    bool ok = true;
  };
  struct Worker {
    bool up = true;
    std::uint64_t generation = 0;
  };

  Micros now() const;
  std::uint64_t now_ms() const;
  void fail(const std::string& what);
  void make_requests();
  void send_request(std::size_t client);
  void client_retry(std::size_t client, Micros delay);
  void client_next(std::size_t client);
  void push(const SimNode& leader, std::uint64_t term, const Job& job);
  void worker_receive(std::size_t worker, WorkItem item);
  void deliver_result(NodeIndex node, ResultBatch batch, int hops);
  void check_dependencies(const SimNode& node, std::uint64_t job_id,
                          std::string_view when);
  void check_first_apply(const SimNode& node, const LogEntry& entry,
                         const state::ApplyOutcome& outcome);

  PipelineSettings settings_;
  Cluster& cluster_;
  std::vector<Client> clients_;
  std::vector<Worker> workers_;
  bool healed_ = false;
  // Checker state.
  std::uint64_t first_applied_ = 0;
  std::map<std::uint64_t, std::vector<std::uint64_t>> deps_;  // job -> deps
  std::map<std::uint64_t, bool> has_deadline_;
  std::map<std::string, std::uint64_t> stored_;
  std::map<std::string, std::set<std::uint64_t>> completed_;
  std::map<std::string, std::set<std::uint64_t>> jobs_by_address_;
  std::map<std::uint64_t, std::uint64_t> digest_at_;  // index -> digest
  std::set<std::uint64_t> acked_jobs_;
  PipelineCounters counters_;
};

}  // namespace slurp::sim
