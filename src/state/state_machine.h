// The replicated state machine: jobs, their queue, stored contexts and the
// deduplication keys. Every node applies the same committed commands in the
// same order and so holds the same state; the leader alone acts on it
// (dispatch arrives with the pipeline issue).
//
// Sans-IO and deterministic: no clock (time comes in the commands), no
// randomness, no files, ordered containers only. apply() never throws and
// never asserts on command bytes: a command it cannot decode is answered
// with an error outcome and changes nothing, identically on every node.
//
// Threads: one owner thread (the node thread, or the simulator's).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/messages.h"
#include "protocol/result.h"
#include "src/state/commands.h"

namespace slurp::state {

struct StateLimits {
  // Jobs waiting (queued) at once; an enqueue beyond is queue_full.
  std::uint64_t queue_depth_max = 100000;
  // (requester, request_id) pairs remembered for deduplication; the oldest
  // is forgotten first. A retry later than this many newer requests is
  // treated as new.
  std::uint64_t request_ids_max = 1000000;
  // Ended jobs (completed, failed, cancelled, ...) kept for status and
  // `wait`; the oldest ended job is forgotten first.
  std::uint64_t ended_jobs_max = 100000;
};

enum class JobState {
  queued,
  active,
  completed,
  failed,
  dead_lettered,
  cancelled
};
std::string_view job_state_name(JobState state);
bool job_state_ended(JobState state);
// Wire form (the snapshot's job records): the job_state_name strings.
std::string_view enum_to_wire(JobState state);
bool enum_from_wire(std::string_view text, JobState& out);

struct JobRecord {
  std::uint64_t job_id = 0;
  std::string request_id;
  std::string requester;
  std::string role;
  std::string address;
  Priority priority = Priority::normal;
  JobState state = JobState::queued;
  std::optional<Bytes> content;
  std::optional<std::string> content_hash;
  std::optional<std::string> file_path;
  std::vector<std::string> depends_on;
  std::optional<std::uint64_t> deadline_ms;
  std::uint64_t accepted_ms = 0;
  std::uint64_t ended_ms = 0;        // 0 while not ended
  std::optional<std::string> error;  // why it failed or was cancelled
  // The snapshot's form of a job (src/state/snapshot_format.h).
  template <class V>
  void fields(V& v) {
    v.req("job_id", job_id);
    v.req("request_id", request_id);
    v.req("requester", requester);
    v.req("role", role);
    v.req("address", address);
    v.req("priority", priority);
    v.req("state", state);
    v.opt("content", content);
    v.opt("content_hash", content_hash);
    v.opt("file_path", file_path);
    v.def("depends_on", depends_on);
    v.opt("deadline_ms", deadline_ms);
    v.req("accepted_ms", accepted_ms);
    v.def("ended_ms", ended_ms);
    v.opt("error", error);
  }
  bool operator==(const JobRecord&) const = default;
};

// A state change worth an event; the node publishes it with its own
// sequence number and term.
struct StateEvent {
  std::string topic;  // e.g. "job.queued", "job.cancelled", "context.stored"
  Attributes attrs;   // e.g. {"job_id": "7", "address": "ucxl://..."}
  bool operator==(const StateEvent&) const = default;
};

// A job that reached an end state while applying: `wait` clients hear it.
struct JobEnded {
  std::uint64_t job_id = 0;
  JobState state = JobState::completed;
  std::optional<std::string> error;
  bool operator==(const JobEnded&) const = default;
};

// What applying one entry did, for the node to reply and publish.
struct ApplyOutcome {
  // Set when the command was refused (queue_full, not_found, conflict,
  // bad_request for undecodable data or an unknown kind). No state changed.
  std::optional<Error> error;
  // enqueue: the job and how the request was resolved: "queued" (new job)
  // or "duplicate" (this requester's request_id was seen; the original job).
  std::uint64_t job_id = 0;
  std::string outcome;
  // cancel: the job's state afterwards.
  std::optional<JobState> job_state;
  // update_context: the stored record's address and new version.
  std::string address;
  std::uint64_t version = 0;
  std::vector<StateEvent> events;
  std::vector<JobEnded> ended;
};

class StateMachine {
 public:
  explicit StateMachine(StateLimits limits = {});

  // Applies one committed entry. Kind 0 (Raft's no-op) changes nothing and
  // returns an empty outcome. Entries must come in index order.
  ApplyOutcome apply(const LogEntry& entry);

  // The whole state, for Raft snapshots (compact / state transfer).
  Bytes snapshot() const;
  // Replaces the whole state. Errors: bad_request naming the field when the
  // bytes are not a snapshot; the state is unchanged then.
  Status restore(std::span<const std::uint8_t> bytes);

  std::uint64_t applied_index() const { return applied_index_; }

  const JobRecord* job(std::uint64_t job_id) const;
  // Latest stored context for a canonical address.
  const Context* context(const std::string& address) const;
  // The job a requester's request_id created, if still remembered.
  std::optional<std::uint64_t> job_for_request(
      const std::string& requester, const std::string& request_id) const;

  // One entry per priority, low..emergency (all five, zero counts too).
  std::vector<QueueCounts> queue_counts() const;
  std::uint64_t queued_tasks() const;
  std::uint64_t active_tasks() const;
  std::uint64_t context_count() const;

  bool operator==(const StateMachine&) const;

 private:
  static constexpr std::size_t kPriorities = 5;  // Priority::low..emergency
  static constexpr std::size_t kJobStates = 6;   // JobState::queued..cancelled
  // Who asked (the authenticated key's name) and their idempotency key.
  using RequestKey = std::pair<std::string, std::string>;

  ApplyOutcome apply_enqueue(EnqueueCommand command);
  ApplyOutcome apply_cancel(const CancelCommand& command);
  ApplyOutcome apply_update_context(UpdateContextCommand command);
  void remember_request(RequestKey key, std::uint64_t job_id);
  void end_job(JobRecord& job, JobState state, std::uint64_t time_ms,
               std::string error, ApplyOutcome& out);
  void forget_ended_beyond_limit();
  void count_job(const JobRecord& job);
  void uncount_job(const JobRecord& job);
  std::uint64_t count_in_state(JobState state) const;

  StateLimits limits_;  // configuration: not replicated, not compared

  // The replicated state: written to snapshots, compared by operator==.
  std::uint64_t applied_index_ = 0;
  std::uint64_t next_job_id_ = 1;
  std::map<std::uint64_t, JobRecord> jobs_;  // every job still remembered
  std::map<std::string, Context> contexts_;  // by canonical address
  std::map<RequestKey, std::uint64_t> request_jobs_;  // dedup: the job made
  std::deque<RequestKey> request_order_;   // request_jobs_ keys, oldest first
  std::deque<std::uint64_t> ended_order_;  // ended jobs_ ids, oldest first
  // Completed / failed (+ dead-lettered) jobs already forgotten, per
  // priority, so queue_counts() never drops when ended jobs are forgotten.
  std::array<std::uint64_t, kPriorities> forgotten_completed_{};
  std::array<std::uint64_t, kPriorities> forgotten_failed_{};

  // Derived from jobs_ (rebuilt by restore): jobs per priority and state, so
  // admission and status need no scan of the queue.
  std::array<std::array<std::uint64_t, kJobStates>, kPriorities> counts_{};
};

}  // namespace slurp::state
