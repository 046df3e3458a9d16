#include "src/state/state_machine.h"

#include <cassert>
#include <string>
#include <utility>

#include "protocol/record_codec.h"

namespace slurp::state {
namespace {

constexpr std::uint64_t kNoOpKind = 0;

std::size_t priority_index(Priority priority) {
  return static_cast<std::size_t>(priority);
}

std::size_t state_index(JobState state) {
  return static_cast<std::size_t>(state);
}

std::string wire(Priority priority) {
  return std::string(enum_to_wire(priority));
}

ApplyOutcome refused(Error error) {
  ApplyOutcome out;
  out.error = std::move(error);
  return out;
}

// Commands come from the leader, which validated them, so they fit the
// message limits. Whatever the decoder says (bad_request or too_large), the
// contract answers bad_request: the entry is not a command we can apply.
template <class Command>
Result<Command> decode_command(const Bytes& data) {
  Result<Command> command = decode_record<Command>(data);
  if (!command) {
    Error error = command.error();
    error.code = ErrorCode::bad_request;
    return error;
  }
  return command;
}

}  // namespace

StateMachine::StateMachine(StateLimits limits) : limits_(limits) {}

ApplyOutcome StateMachine::apply(const LogEntry& entry) {
  // Raft hands over each committed entry once, in order; anything else is
  // a bug in the node, and applying it would fork the replicas.
  assert(entry.index > applied_index_);
  applied_index_ = entry.index;
  switch (entry.kind) {
    case kNoOpKind: return {};
    case static_cast<std::uint64_t>(CommandKind::enqueue): {
      auto command = decode_command<EnqueueCommand>(entry.data);
      if (!command) return refused(command.error());
      return apply_enqueue(std::move(*command));
    }
    case static_cast<std::uint64_t>(CommandKind::cancel): {
      auto command = decode_command<CancelCommand>(entry.data);
      if (!command) return refused(command.error());
      return apply_cancel(*command);
    }
    case static_cast<std::uint64_t>(CommandKind::update_context): {
      auto command = decode_command<UpdateContextCommand>(entry.data);
      if (!command) return refused(command.error());
      return apply_update_context(std::move(*command));
    }
    default:
      return refused(make_error(
          ErrorCode::bad_request,
          "unknown command kind " + std::to_string(entry.kind), "kind"));
  }
}

ApplyOutcome StateMachine::apply_enqueue(EnqueueCommand command) {
  ApplyOutcome out;
  RequestKey key{command.requester, command.request_id};
  // Deduplication comes before admission: a retry of an accepted request is
  // answered even when the queue is full now.
  if (auto it = request_jobs_.find(key); it != request_jobs_.end()) {
    out.job_id = it->second;
    out.outcome = "duplicate";
    out.events.push_back({"request.duplicate",
                          {{"job_id", std::to_string(it->second)},
                           {"request_id", command.request_id},
                           {"requester", command.requester}}});
    return out;
  }
  if (queued_tasks() >= limits_.queue_depth_max) {
    out.error = make_error(ErrorCode::queue_full,
                           "the queue holds its maximum of " +
                               std::to_string(limits_.queue_depth_max) +
                               " queued jobs; retry later");
    out.events.push_back({"request.rejected",
                          {{"address", command.address},
                           {"error", "queue_full"},
                           {"priority", wire(command.priority)},
                           {"request_id", command.request_id},
                           {"requester", command.requester}}});
    return out;
  }
  JobRecord job;
  job.job_id = next_job_id_++;
  job.request_id = std::move(command.request_id);
  job.requester = std::move(command.requester);
  job.role = std::move(command.role);
  job.address = std::move(command.address);
  job.priority = command.priority;
  job.state = JobState::queued;
  job.content = std::move(command.content);
  job.content_hash = std::move(command.content_hash);
  job.file_path = std::move(command.file_path);
  job.depends_on = std::move(command.depends_on);
  job.deadline_ms = command.deadline_ms;
  job.accepted_ms = command.time_ms;
  out.job_id = job.job_id;
  out.outcome = "queued";
  out.events.push_back({"job.queued",
                        {{"address", job.address},
                         {"job_id", std::to_string(job.job_id)},
                         {"priority", wire(job.priority)},
                         {"requester", job.requester}}});
  count_job(job);
  jobs_.emplace(job.job_id, std::move(job));
  remember_request(std::move(key), out.job_id);
  return out;
}

// FIFO by first acceptance: a duplicate does not move its key to the back,
// so the window is "the last request_ids_max accepted requests".
void StateMachine::remember_request(RequestKey key, std::uint64_t job_id) {
  request_jobs_.emplace(key, job_id);
  request_order_.push_back(std::move(key));
  while (request_order_.size() > limits_.request_ids_max) {
    request_jobs_.erase(request_order_.front());
    request_order_.pop_front();
  }
}

ApplyOutcome StateMachine::apply_cancel(const CancelCommand& command) {
  auto it = jobs_.find(command.job_id);
  if (it == jobs_.end()) {
    return refused(make_error(ErrorCode::not_found,
                              "no job " + std::to_string(command.job_id) +
                                  " (never created, or ended and forgotten)",
                              "job_id"));
  }
  JobRecord& job = it->second;
  ApplyOutcome out;
  out.job_id = job.job_id;
  // A retried cancel (client retry, forwarded twice) must not fail.
  if (job.state == JobState::cancelled) {
    out.job_state = JobState::cancelled;
    return out;
  }
  if (job_state_ended(job.state)) {
    return refused(make_error(
        ErrorCode::conflict,
        "job " + std::to_string(job.job_id) +
            " already ended: " + std::string(job_state_name(job.state)),
        "job_id"));
  }
  out.events.push_back({"job.cancelled",
                        {{"address", job.address},
                         {"job_id", std::to_string(job.job_id)},
                         {"priority", wire(job.priority)},
                         {"requester", command.requester}}});
  end_job(job, JobState::cancelled, command.time_ms,
          "cancelled by " + command.requester, out);
  out.job_state = JobState::cancelled;
  return out;
}

// Every transition into an end state goes through here, so the ended-job
// bound and the counters cannot be bypassed. May forget `job` itself (when
// ended_jobs_max is 0): the reference is not used afterwards.
void StateMachine::end_job(JobRecord& job, JobState state,
                           std::uint64_t time_ms, std::string error,
                           ApplyOutcome& out) {
  assert(job_state_ended(state) && !job_state_ended(job.state));
  uncount_job(job);
  job.state = state;
  job.ended_ms = time_ms;
  job.error = std::move(error);
  count_job(job);
  out.ended.push_back({job.job_id, job.state, job.error});
  ended_order_.push_back(job.job_id);
  forget_ended_beyond_limit();
}

void StateMachine::forget_ended_beyond_limit() {
  while (ended_order_.size() > limits_.ended_jobs_max) {
    auto it = jobs_.find(ended_order_.front());
    assert(it != jobs_.end() && job_state_ended(it->second.state));
    const JobRecord& job = it->second;
    const std::size_t p = priority_index(job.priority);
    if (job.state == JobState::completed) {
      ++forgotten_completed_[p];
    } else if (job.state == JobState::failed ||
               job.state == JobState::dead_lettered) {
      ++forgotten_failed_[p];
    }
    uncount_job(job);
    jobs_.erase(it);
    ended_order_.pop_front();
  }
}

ApplyOutcome StateMachine::apply_update_context(UpdateContextCommand command) {
  Context& context = command.context;
  auto it = contexts_.find(context.address);
  // The state machine numbers versions; a client's number is ignored so
  // that two updates racing through the log still get distinct versions.
  context.version = it == contexts_.end() ? 1 : it->second.version + 1;
  ApplyOutcome out;
  out.address = context.address;
  out.version = context.version;
  out.events.push_back({"context.stored",
                        {{"address", context.address},
                         {"requester", command.requester},
                         {"version", std::to_string(context.version)}}});
  if (it == contexts_.end()) {
    contexts_.emplace(context.address, std::move(context));
  } else {
    it->second = std::move(context);
  }
  return out;
}

void StateMachine::count_job(const JobRecord& job) {
  ++counts_[priority_index(job.priority)][state_index(job.state)];
}

void StateMachine::uncount_job(const JobRecord& job) {
  std::uint64_t& n =
      counts_[priority_index(job.priority)][state_index(job.state)];
  assert(n > 0);
  --n;
}

std::uint64_t StateMachine::count_in_state(JobState state) const {
  std::uint64_t total = 0;
  for (const auto& by_state : counts_) total += by_state[state_index(state)];
  return total;
}

const JobRecord* StateMachine::job(std::uint64_t job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? nullptr : &it->second;
}

const Context* StateMachine::context(const std::string& address) const {
  auto it = contexts_.find(address);
  return it == contexts_.end() ? nullptr : &it->second;
}

std::optional<std::uint64_t> StateMachine::job_for_request(
    const std::string& requester, const std::string& request_id) const {
  auto it = request_jobs_.find(RequestKey{requester, request_id});
  if (it == request_jobs_.end()) return std::nullopt;
  return it->second;
}

// queued and active count the jobs in that state now. completed and failed
// (failed + dead_lettered) are cumulative: every job that ever ended so,
// whether still remembered or already forgotten past ended_jobs_max, so the
// numbers never drop. Cancelled jobs are in neither.
std::vector<QueueCounts> StateMachine::queue_counts() const {
  std::vector<QueueCounts> result;
  for (Priority priority : {Priority::low, Priority::normal, Priority::high,
                            Priority::critical, Priority::emergency}) {
    const std::size_t p = priority_index(priority);
    const auto& n = counts_[p];
    QueueCounts counts;
    counts.priority = priority;
    counts.queued = n[state_index(JobState::queued)];
    counts.active = n[state_index(JobState::active)];
    counts.completed =
        n[state_index(JobState::completed)] + forgotten_completed_[p];
    counts.failed = n[state_index(JobState::failed)] +
                    n[state_index(JobState::dead_lettered)] +
                    forgotten_failed_[p];
    result.push_back(counts);
  }
  return result;
}

std::uint64_t StateMachine::queued_tasks() const {
  return count_in_state(JobState::queued);
}

std::uint64_t StateMachine::active_tasks() const {
  return count_in_state(JobState::active);
}

std::uint64_t StateMachine::context_count() const {
  return contexts_.size();
}

// Compares the replicated state only: limits are configuration, and the
// counts are derived from jobs_.
bool StateMachine::operator==(const StateMachine& other) const {
  return applied_index_ == other.applied_index_ &&
         next_job_id_ == other.next_job_id_ && jobs_ == other.jobs_ &&
         contexts_ == other.contexts_ && request_jobs_ == other.request_jobs_ &&
         request_order_ == other.request_order_ &&
         ended_order_ == other.ended_order_ &&
         forgotten_completed_ == other.forgotten_completed_ &&
         forgotten_failed_ == other.forgotten_failed_;
}

}  // namespace slurp::state
