// StateMachine: applying entries, and the client commands (enqueue,
// cancel, update_context). The worker-driven commands are in
// job_lifecycle.cc, the leader-only queries in dispatch.cc.
#include "src/state/state_machine.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "protocol/record_codec.h"
#include "src/state/memory_context_store.h"

namespace slurp::state {
namespace {

constexpr std::uint64_t kNoOpKind = 0;

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
template <class Command, class Apply>
ApplyOutcome decode_then_apply(const Bytes& data, Apply apply) {
  Result<Command> command = decode_record<Command>(data);
  if (!command) {
    Error error = command.error();
    error.code = ErrorCode::bad_request;
    return refused(std::move(error));
  }
  return apply(std::move(*command));
}

std::string depends_on_field(std::size_t i) {
  return "depends_on[" + std::to_string(i) + "]";
}

}  // namespace

std::uint64_t StateLimits::requester_jobs_limit() const {
  if (requester_jobs_max != 0) return requester_jobs_max;
  return std::max<std::uint64_t>(1, queue_depth_max / 4);
}

StateMachine::StateMachine(StateLimits limits,
                           std::unique_ptr<ContextStore> store)
    : limits_(limits),
      store_(store ? std::move(store)
                   : std::make_unique<MemoryContextStore>()) {
  assert(limits_.aging_interval_ms > 0);
  assert(limits_.job_attempts_max >= 1);
}

// Member-wise, except the store: the copy's contexts are its own.
StateMachine::StateMachine(const StateMachine& other)
    : limits_(other.limits_),
      applied_index_(other.applied_index_),
      next_job_id_(other.next_job_id_),
      jobs_(other.jobs_),
      store_(other.store_->clone()),
      context_count_(other.context_count_),
      context_bytes_(other.context_bytes_),
      requests_(other.requests_),
      ended_order_(other.ended_order_),
      forgotten_completed_(other.forgotten_completed_),
      forgotten_failed_(other.forgotten_failed_),
      counters_(other.counters_),
      audit_anchors_(other.audit_anchors_),
      counts_(other.counts_),
      ready_(other.ready_),
      leases_(other.leases_),
      deadlines_(other.deadlines_),
      open_by_address_(other.open_by_address_),
      dependants_(other.dependants_),
      requester_jobs_(other.requester_jobs_) {}

StateMachine& StateMachine::operator=(const StateMachine& other) {
  if (this != &other) *this = StateMachine(other);
  return *this;
}

ApplyOutcome StateMachine::apply(const LogEntry& entry) {
  // Raft hands over each committed entry once, in order; anything else is
  // a bug in the node, and applying it would fork the replicas.
  assert(entry.index > applied_index_);
  applied_index_ = entry.index;
  store_->begin_entry(entry.index);
  switch (entry.kind) {
    case kNoOpKind: return {};
    case static_cast<std::uint64_t>(CommandKind::enqueue):
      return decode_then_apply<EnqueueCommand>(
          entry.data,
          [this](EnqueueCommand c) { return apply_enqueue(std::move(c)); });
    case static_cast<std::uint64_t>(CommandKind::cancel):
      return decode_then_apply<CancelCommand>(
          entry.data, [this](CancelCommand c) { return apply_cancel(c); });
    case static_cast<std::uint64_t>(CommandKind::update_context):
      return decode_then_apply<UpdateContextCommand>(
          entry.data, [this](UpdateContextCommand c) {
            return apply_update_context(std::move(c));
          });
    case static_cast<std::uint64_t>(CommandKind::lease):
      return decode_then_apply<LeaseCommand>(
          entry.data, [this](LeaseCommand c) { return apply_lease(c); });
    case static_cast<std::uint64_t>(CommandKind::complete):
      return decode_then_apply<CompleteCommand>(
          entry.data,
          [this](CompleteCommand c) { return apply_complete(std::move(c)); });
    case static_cast<std::uint64_t>(CommandKind::fail):
      return decode_then_apply<FailCommand>(
          entry.data, [this](FailCommand c) { return apply_fail(c); });
    case static_cast<std::uint64_t>(CommandKind::expire):
      return decode_then_apply<ExpireCommand>(
          entry.data, [this](ExpireCommand c) { return apply_expire(c); });
    case static_cast<std::uint64_t>(CommandKind::audit_anchor):
      return decode_then_apply<AuditAnchorCommand>(
          entry.data, [this, &entry](AuditAnchorCommand c) {
            return apply_audit_anchor(std::move(c), entry.index);
          });
    default:
      return refused(make_error(
          ErrorCode::bad_request,
          "unknown command kind " + std::to_string(entry.kind), "kind"));
  }
}

ApplyOutcome StateMachine::apply_enqueue(EnqueueCommand command) {
  if (auto answered = resolve_existing(command)) return std::move(*answered);
  Result<std::vector<std::uint64_t>> open_deps = resolve_dependencies(command);
  if (!open_deps) return refused(open_deps.error());
  if (std::optional<Error> full = admit(command)) {
    ApplyOutcome out = refused(std::move(*full));
    out.events.push_back({"request.rejected",
                          {{"address", command.address},
                           {"error", "queue_full"},
                           {"limit", out.error->field},
                           {"priority", wire(command.priority)},
                           {"request_id", command.request_id},
                           {"requester", command.requester}}});
    out.error->field.clear();
    return out;
  }
  RequestWindow::Key key{command.requester, command.request_id};
  JobRecord job;
  job.job_id = next_job_id_++;
  job.requester = std::move(command.requester);
  job.role = std::move(command.role);
  job.address = std::move(command.address);
  job.priority = command.priority;
  job.content = std::move(command.content);
  job.content_hash = std::move(command.content_hash);
  job.content_hash_verified = command.content_hash_verified;
  job.file_path = std::move(command.file_path);
  job.depends_on = std::move(command.depends_on);
  job.deadline_ms = command.deadline_ms;
  job.accepted_ms = command.time_ms;
  job.waiting_on = std::move(*open_deps);
  if (job.waiting_on.empty()) {
    job.state = JobState::queued;
    job.queued_since_ms = command.time_ms;
  } else {
    job.state = JobState::waiting;
  }
  ApplyOutcome out;
  out.job_id = job.job_id;
  out.outcome = "queued";
  StateEvent event{job.state == JobState::queued ? "job.queued" : "job.waiting",
                   {{"address", job.address},
                    {"job_id", std::to_string(job.job_id)},
                    {"priority", wire(job.priority)},
                    {"requester", job.requester}}};
  if (!job.waiting_on.empty()) {
    event.attrs["waiting_on"] = std::to_string(job.waiting_on.size());
  }
  out.events.push_back(std::move(event));
  index_job(job);
  jobs_.emplace(job.job_id, std::move(job));
  requests_.remember(std::move(key), out.job_id, limits_.request_ids_max);
  return out;
}

// Steps 1-3 of the enqueue rules (header): duplicate, cached, attached.
// Deduplication comes before admission: a retry of an accepted request is
// answered even when the queue is full now.
std::optional<ApplyOutcome> StateMachine::resolve_existing(
    const EnqueueCommand& command) {
  RequestWindow::Key key{command.requester, command.request_id};
  ApplyOutcome out;
  if (auto job_id = requests_.find(key)) {
    out.job_id = *job_id;
    out.outcome = "duplicate";
    out.events.push_back({"request.duplicate",
                          {{"job_id", std::to_string(*job_id)},
                           {"request_id", command.request_id},
                           {"requester", command.requester}}});
    return out;
  }
  if (!command.content_hash) return std::nullopt;
  std::optional<ContextMeta> meta = context_meta(command.address);
  if (meta && meta->content_hash_verified &&
      meta->content_hash == command.content_hash &&
      meta->role == command.role &&
      meta->engine_version == command.engine_version) {
    out.job_id = meta->job_id;
    out.outcome = "cached";
    ++counters_.cache_hits;
  } else if (auto job_id = attachable_job(command)) {
    out.job_id = *job_id;
    out.outcome = "attached";
    ++counters_.attached;
    JobRecord& job = jobs_.at(*job_id);
    if (job.requester != command.requester) ++job.attached_others;
  } else {
    return std::nullopt;
  }
  out.events.push_back({"request." + out.outcome,
                        {{"address", command.address},
                         {"job_id", std::to_string(out.job_id)},
                         {"request_id", command.request_id},
                         {"requester", command.requester}}});
  requests_.remember(std::move(key), out.job_id, limits_.request_ids_max);
  return out;
}

// The dependency rules (header): the open jobs the new job waits for,
// ascending and unique, or why the request is refused.
Result<std::vector<std::uint64_t>> StateMachine::resolve_dependencies(
    const EnqueueCommand& command) const {
  std::vector<std::uint64_t> open;
  for (std::size_t i = 0; i < command.depends_on.size(); ++i) {
    const std::string& address = command.depends_on[i];
    if (address == command.address) {
      return make_error(ErrorCode::bad_request,
                        "a job cannot depend on its own address (a cycle)",
                        depends_on_field(i));
    }
    if (auto job_id = newest_open_job(address)) {
      open.push_back(*job_id);
    } else if (!store_->find(address)) {
      return make_error(ErrorCode::not_found,
                        "no pending job and no stored context for " + address,
                        depends_on_field(i));
    }
  }
  std::sort(open.begin(), open.end());
  open.erase(std::unique(open.begin(), open.end()), open.end());
  return open;
}

// The admission rules (header). The error's field names the bound for the
// rejection event; the caller clears it (no request field is at fault).
std::optional<Error> StateMachine::admit(const EnqueueCommand& command) const {
  if (queued_tasks() >= limits_.queue_depth_max) {
    return make_error(ErrorCode::queue_full,
                      "the queue holds its maximum of " +
                          std::to_string(limits_.queue_depth_max) +
                          " queued and waiting jobs; retry later",
                      "queue_depth_max");
  }
  const std::uint64_t share = limits_.requester_jobs_limit();
  auto held = requester_jobs_.find(command.requester);
  if (held != requester_jobs_.end() && held->second >= share) {
    return make_error(ErrorCode::queue_full,
                      "requester " + command.requester +
                          " already holds its share of " +
                          std::to_string(share) +
                          " queued and waiting jobs (requester_jobs_max); "
                          "retry when some are done",
                      "requester_jobs_max");
  }
  return std::nullopt;
}

namespace {

bool is_admin(const std::optional<std::string>& role) {
  return role && *role == "admin";
}

}  // namespace

std::optional<Error> StateMachine::check_cancel(
    const CancelCommand& command) const {
  // No role: an entry from before the rule (commands.h).
  if (!command.requester_role || is_admin(command.requester_role)) {
    return std::nullopt;
  }
  const JobRecord* job = this->job(command.job_id);
  if (job == nullptr) return std::nullopt;  // apply says not_found
  const std::string id = std::to_string(job->job_id);
  if (job->requester != command.requester) {
    return make_error(ErrorCode::forbidden,
                      "job " + id + " belongs to another requester", "job_id");
  }
  if (job->attached_others > 0) {
    return make_error(ErrorCode::forbidden,
                      "job " + id + " also answers " +
                          std::to_string(job->attached_others) +
                          " request(s) of other requesters; only an admin "
                          "may cancel it",
                      "job_id");
  }
  return std::nullopt;
}

std::optional<Error> StateMachine::check_update(
    const UpdateContextCommand& command) const {
  if (!command.requester_role || is_admin(command.requester_role)) {
    return std::nullopt;
  }
  const std::string owner = context_owner(command.context.address);
  if (owner.empty() || owner == command.requester) return std::nullopt;
  return make_error(ErrorCode::forbidden,
                    "the context of this address belongs to requester '" +
                        owner + "'; only its owner or an admin may update it",
                    "context.address");
}

std::string StateMachine::context_owner(const std::string& address) const {
  std::optional<StoredContext> stored = store_->find(address);
  return stored ? std::move(stored->owner) : std::string();
}

ApplyOutcome StateMachine::apply_cancel(const CancelCommand& command) {
  auto it = jobs_.find(command.job_id);
  if (it == jobs_.end()) {
    return refused(make_error(ErrorCode::not_found,
                              "no job " + std::to_string(command.job_id) +
                                  " (never created, or ended and forgotten)",
                              "job_id"));
  }
  if (std::optional<Error> forbidden = check_cancel(command)) {
    return refused(std::move(*forbidden));
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
                         {"requester", command.requester},
                         {"was", std::string(job_state_name(job.state))}}});
  end_job(job, JobState::cancelled, command.time_ms,
          "cancelled by " + command.requester, out);
  out.job_state = JobState::cancelled;
  return out;
}

// A hand-written context drops the meta: it is no cache hit for anyone.
// The address keeps its owner; an unowned one becomes the requester's.
ApplyOutcome StateMachine::apply_update_context(UpdateContextCommand command) {
  if (std::optional<Error> forbidden = check_update(command)) {
    return refused(std::move(*forbidden));
  }
  Context& context = command.context;
  std::optional<StoredContext> stored = store_->find(context.address);
  // The state machine numbers versions; a client's number is ignored so
  // that two updates racing through the log still get distinct versions.
  context.version = stored ? stored->context.version + 1 : 1;
  ApplyOutcome out;
  out.address = context.address;
  out.version = context.version;
  out.events.push_back({"context.stored",
                        {{"address", context.address},
                         {"requester", command.requester},
                         {"version", std::to_string(context.version)}}});
  std::string owner =
      !stored || stored->owner.empty() ? command.requester : stored->owner;
  store_context(
      StoredContext{std::move(context), std::nullopt, std::move(owner)},
      stored);
  return out;
}

void StateMachine::store_context(StoredContext record,
                                 const std::optional<StoredContext>& previous) {
  if (previous) {
    context_bytes_ -= encode_record(*previous).size();
  } else {
    ++context_count_;
  }
  context_bytes_ += encode_record(record).size();
  store_->put(record);
}

const JobRecord* StateMachine::job(std::uint64_t job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? nullptr : &it->second;
}

std::optional<Context> StateMachine::context(const std::string& address) const {
  std::optional<StoredContext> stored = store_->find(address);
  if (!stored) return std::nullopt;
  return std::move(stored->context);
}

std::vector<Context> StateMachine::contexts_after(const std::string& prefix,
                                                  const std::string& after,
                                                  std::size_t limit) const {
  std::vector<Context> out;
  if (limit == 0) return out;
  store_->scan(prefix, after, [&](const StoredContext& stored) {
    out.push_back(stored.context);
    return out.size() < limit;
  });
  return out;
}

std::optional<ContextMeta> StateMachine::context_meta(
    const std::string& address) const {
  std::optional<StoredContext> stored = store_->find(address);
  if (!stored) return std::nullopt;
  return std::move(stored->meta);
}

std::optional<std::uint64_t> StateMachine::job_for_request(
    const std::string& requester, const std::string& request_id) const {
  return requests_.find(RequestWindow::Key{requester, request_id});
}

std::uint64_t StateMachine::count_in_state(JobState state) const {
  std::uint64_t total = 0;
  for (const auto& by_state : counts_) {
    total += by_state[static_cast<std::size_t>(state)];
  }
  return total;
}

// queued (queued + waiting) and active count the jobs in that state now.
// completed and failed (failed + dead_lettered) are cumulative: every job
// that ever ended so, whether still remembered or already forgotten past
// ended_jobs_max, so the numbers never drop. Cancelled jobs are in neither.
std::vector<QueueCounts> StateMachine::queue_counts() const {
  auto in = [](const auto& n, JobState state) {
    return n[static_cast<std::size_t>(state)];
  };
  std::vector<QueueCounts> result;
  for (Priority priority : {Priority::low, Priority::normal, Priority::high,
                            Priority::critical, Priority::emergency}) {
    const auto p = static_cast<std::size_t>(priority);
    const auto& n = counts_[p];
    QueueCounts counts;
    counts.priority = priority;
    counts.queued = in(n, JobState::queued) + in(n, JobState::waiting);
    counts.active = in(n, JobState::active);
    counts.completed = in(n, JobState::completed) + forgotten_completed_[p];
    counts.failed = in(n, JobState::failed) + in(n, JobState::dead_lettered) +
                    forgotten_failed_[p];
    result.push_back(counts);
  }
  return result;
}

std::uint64_t StateMachine::queued_tasks() const {
  return count_in_state(JobState::queued) + count_in_state(JobState::waiting);
}

std::uint64_t StateMachine::waiting_tasks() const {
  return count_in_state(JobState::waiting);
}

std::uint64_t StateMachine::active_tasks() const {
  return count_in_state(JobState::active);
}

// Compares the replicated state only: limits are configuration, and the
// indexes are derived from jobs_. The stores are compared by contents, a
// scan of both (tests and the simulator; never the node).
bool StateMachine::operator==(const StateMachine& other) const {
  auto all = [](const ContextStore& store) {
    std::vector<StoredContext> out;
    store.scan("", "", [&](const StoredContext& stored) {
      out.push_back(stored);
      return true;
    });
    return out;
  };
  return applied_index_ == other.applied_index_ &&
         next_job_id_ == other.next_job_id_ && jobs_ == other.jobs_ &&
         context_count_ == other.context_count_ &&
         context_bytes_ == other.context_bytes_ &&
         all(*store_) == all(*other.store_) && requests_ == other.requests_ &&
         ended_order_ == other.ended_order_ &&
         forgotten_completed_ == other.forgotten_completed_ &&
         forgotten_failed_ == other.forgotten_failed_ &&
         counters_ == other.counters_ && audit_anchors_ == other.audit_anchors_;
}

}  // namespace slurp::state
