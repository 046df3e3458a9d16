// The replicated state machine (src/state/state_machine.h): commands,
// deduplication, bounds, snapshots and determinism.
#include "src/state/state_machine.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "protocol/record_codec.h"
#include "src/state/snapshot_format.h"
#include "src/state/snapshot_frames.h"
#include "tests/state/state_driver.h"

namespace slurp::state {
namespace {

using namespace testing;

JobRecord ended_job(std::uint64_t id, Priority priority, JobState state) {
  JobRecord job;
  job.job_id = id;
  job.requester = "alice";
  job.role = "developer";
  job.address = kAddress;
  job.priority = priority;
  job.state = state;
  job.accepted_ms = 10;
  job.queued_since_ms = 10;
  if (job_state_ended(state)) job.ended_ms = 20;
  if (state == JobState::active) {
    job.attempts = 1;
    job.lease_until_ms = 40;
  }
  return job;
}

std::vector<ForgottenEnded> no_forgotten() {
  std::vector<ForgottenEnded> out;
  for (Priority p : {Priority::low, Priority::normal, Priority::high,
                     Priority::critical, Priority::emergency}) {
    out.push_back({p, 0, 0});
  }
  return out;
}

// A crafted state: 1 completed (high), 2 failed (high), 3 dead_lettered
// (low), 4 active (normal), 5 queued (normal).
SnapshotData history_with_ended_jobs() {
  SnapshotData data;
  data.applied_index = 50;
  data.next_job_id = 6;
  data.jobs = {ended_job(1, Priority::high, JobState::completed),
               ended_job(2, Priority::high, JobState::failed),
               ended_job(3, Priority::low, JobState::dead_lettered),
               ended_job(4, Priority::normal, JobState::active),
               ended_job(5, Priority::normal, JobState::queued)};
  data.ended_order = {1, 2, 3};
  for (std::uint64_t id = 1; id <= 5; ++id) {
    data.requests.push_back({"alice", "r" + std::to_string(id), id});
  }
  data.forgotten_ended = no_forgotten();
  return data;
}

void restore_or_fail(StateMachine& sm, const SnapshotData& data) {
  Status s = sm.restore(encode_snapshot({data, {}}));
  INFO((s.ok() ? std::string() : s.error().describe()));
  REQUIRE(s.ok());
}

QueueCounts counts_for(const StateMachine& sm, Priority priority) {
  for (const QueueCounts& c : sm.queue_counts()) {
    if (c.priority == priority) return c;
  }
  FAIL("no counts for priority " << enum_to_wire(priority));
  return {};
}

// The fields a node turns into replies and events.
void check_same_outcome(const ApplyOutcome& a, const ApplyOutcome& b) {
  REQUIRE(a.error.has_value() == b.error.has_value());
  if (a.error) {
    CHECK(a.error->code == b.error->code);
    CHECK(a.error->field == b.error->field);
    CHECK(a.error->reason == b.error->reason);
  }
  CHECK(a.job_id == b.job_id);
  CHECK(a.outcome == b.outcome);
  CHECK(a.job_state == b.job_state);
  CHECK(a.address == b.address);
  CHECK(a.version == b.version);
  CHECK(a.leased == b.leased);
  CHECK(a.events == b.events);
  CHECK(a.ended == b.ended);
}

bool is_empty(const ApplyOutcome& out) {
  return !out.error && out.job_id == 0 && out.outcome.empty() &&
         !out.job_state && out.address.empty() && out.version == 0 &&
         out.leased.empty() && out.events.empty() && out.ended.empty();
}

TEST_CASE("job states have stable names and ended flags", "[state]") {
  CHECK(job_state_name(JobState::waiting) == "waiting");
  CHECK(job_state_name(JobState::queued) == "queued");
  CHECK(job_state_name(JobState::active) == "active");
  CHECK(job_state_name(JobState::completed) == "completed");
  CHECK(job_state_name(JobState::failed) == "failed");
  CHECK(job_state_name(JobState::dead_lettered) == "dead_lettered");
  CHECK(job_state_name(JobState::cancelled) == "cancelled");
  CHECK_FALSE(job_state_ended(JobState::waiting));
  CHECK_FALSE(job_state_ended(JobState::queued));
  CHECK_FALSE(job_state_ended(JobState::active));
  CHECK(job_state_ended(JobState::completed));
  CHECK(job_state_ended(JobState::failed));
  CHECK(job_state_ended(JobState::dead_lettered));
  CHECK(job_state_ended(JobState::cancelled));
  JobState parsed = JobState::queued;
  CHECK(enum_from_wire("dead_lettered", parsed));
  CHECK(parsed == JobState::dead_lettered);
  CHECK(enum_from_wire("waiting", parsed));
  CHECK(parsed == JobState::waiting);
  CHECK_FALSE(enum_from_wire("done", parsed));
}

TEST_CASE("a no-op entry changes nothing but the applied index", "[state]") {
  Driver d;
  ApplyOutcome out = d.noop();
  CHECK(is_empty(out));
  CHECK(d.sm.applied_index() == 1);
  CHECK(d.sm.queued_tasks() == 0);
  CHECK(d.sm.context_count() == 0);
  // The first job still gets id 1.
  CHECK(d.enqueue("r1").job_id == 1);
}

TEST_CASE("enqueue creates a queued job from the command", "[state]") {
  Driver d;
  // A dependency with a stored context is already satisfied.
  REQUIRE(d.update(make_context(kOtherAddress, "b")).version == 1);
  EnqueueCommand c = make_enqueue("r1", "alice", Priority::high);
  c.content = Bytes{1, 2, 3};
  c.content_hash = "ab12";
  c.file_path = "src/a.cc";
  c.depends_on = {kOtherAddress};
  c.deadline_ms = 99000;
  c.time_ms = 1234;
  ApplyOutcome out = d.enqueue(c);
  REQUIRE_FALSE(out.error);
  CHECK(out.job_id == 1);
  CHECK(out.outcome == "queued");
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].topic == "job.queued");
  CHECK(out.events[0].attrs == Attributes{{"job_id", "1"},
                                          {"address", kAddress},
                                          {"priority", "high"},
                                          {"requester", "alice"}});
  CHECK(out.ended.empty());
  const JobRecord* job = d.sm.job(1);
  REQUIRE(job != nullptr);
  CHECK(job->state == JobState::queued);
  CHECK(job->requester == "alice");
  CHECK(job->role == "developer");
  CHECK(job->address == kAddress);
  CHECK(job->priority == Priority::high);
  CHECK(job->content == Bytes{1, 2, 3});
  CHECK(job->content_hash == "ab12");
  CHECK(job->file_path == "src/a.cc");
  CHECK(job->depends_on == c.depends_on);
  CHECK(job->deadline_ms == 99000u);
  CHECK(job->accepted_ms == 1234);
  CHECK(job->queued_since_ms == 1234);
  CHECK(job->attempts == 0);
  CHECK(job->waiting_on.empty());
  CHECK(job->ended_ms == 0);
  CHECK_FALSE(job->error);
  CHECK(d.sm.job_for_request("alice", "r1") == 1u);
  CHECK(d.sm.queued_tasks() == 1);
  CHECK(d.enqueue("r2").job_id == 2);
}

TEST_CASE("a repeated request id makes no second job", "[state][dedup]") {
  Driver d;
  REQUIRE(d.enqueue("r1").outcome == "queued");
  REQUIRE(d.enqueue("other").job_id == 2);
  ApplyOutcome again = d.enqueue("r1");
  REQUIRE_FALSE(again.error);
  CHECK(again.outcome == "duplicate");
  CHECK(again.job_id == 1);
  REQUIRE(again.events.size() == 1);
  CHECK(again.events[0].topic == "request.duplicate");
  CHECK(again.events[0].attrs.at("job_id") == "1");
  CHECK(d.sm.queued_tasks() == 2);
  CHECK(d.sm.job(3) == nullptr);
  // No job id was used up by the duplicate.
  CHECK(d.enqueue("r3").job_id == 3);
}

TEST_CASE("the same request id from another requester is a new request",
          "[state][dedup]") {
  Driver d;
  REQUIRE(d.enqueue("r1", "alice").job_id == 1);
  ApplyOutcome out = d.enqueue("r1", "carol");
  CHECK(out.outcome == "queued");
  CHECK(out.job_id == 2);
  CHECK(d.sm.job_for_request("alice", "r1") == 1u);
  CHECK(d.sm.job_for_request("carol", "r1") == 2u);
  CHECK(d.sm.queued_tasks() == 2);
}

TEST_CASE("a retry is deduplicated even after its job was cancelled",
          "[state][dedup]") {
  Driver d;
  REQUIRE(d.enqueue("r1").job_id == 1);
  REQUIRE_FALSE(d.cancel(1).error);
  ApplyOutcome again = d.enqueue("r1");
  CHECK(again.outcome == "duplicate");
  CHECK(again.job_id == 1);
  CHECK(d.sm.queued_tasks() == 0);
}

TEST_CASE("enqueue is refused at the queue bound and accepted after a cancel",
          "[state][limits]") {
  Driver d(StateLimits{.queue_depth_max = 2, .requester_jobs_max = 2});
  REQUIRE(d.enqueue("a").job_id == 1);
  REQUIRE(d.enqueue("b").job_id == 2);
  ApplyOutcome full = d.enqueue("c", "alice", Priority::emergency);
  REQUIRE(full.error);
  CHECK(full.error->code == ErrorCode::queue_full);
  CHECK_THAT(full.error->reason, Catch::Contains("2"));
  CHECK(full.job_id == 0);
  CHECK(full.outcome.empty());
  REQUIRE(full.events.size() == 1);
  CHECK(full.events[0].topic == "request.rejected");
  CHECK(full.events[0].attrs.at("request_id") == "c");
  CHECK(full.events[0].attrs.at("priority") == "emergency");
  CHECK(full.events[0].attrs.at("limit") == "queue_depth_max");
  CHECK(full.error->field.empty());
  CHECK_FALSE(d.sm.job_for_request("alice", "c"));
  CHECK(d.sm.queued_tasks() == 2);
  // A retry of an accepted request is still answered while full.
  CHECK(d.enqueue("a").outcome == "duplicate");

  REQUIRE_FALSE(d.cancel(1).error);
  ApplyOutcome retried = d.enqueue("c");
  REQUIRE_FALSE(retried.error);
  CHECK(retried.outcome == "queued");
  CHECK(retried.job_id == 3);  // the refusal used no id
  CHECK(d.enqueue("d").error->code == ErrorCode::queue_full);
}

TEST_CASE("the queue bound counts queued jobs, not active ones",
          "[state][limits]") {
  SnapshotData data = history_with_ended_jobs();
  data.jobs[4].state = JobState::active;  // job 5: both non-ended are active
  data.jobs[4].attempts = 1;
  StateMachine sm(StateLimits{.queue_depth_max = 1});
  restore_or_fail(sm, data);
  REQUIRE(sm.active_tasks() == 2);
  ApplyOutcome out =
      sm.apply(LogEntry{51, 1, 1, encode_record(make_enqueue("x"))});
  CHECK_FALSE(out.error);
  CHECK(out.job_id == 6);
}

TEST_CASE("cancel of an unknown job is not_found", "[state][cancel]") {
  Driver d;
  REQUIRE(d.enqueue("r1").job_id == 1);
  for (std::uint64_t id : {0u, 2u, 1000u}) {
    ApplyOutcome out = d.cancel(id);
    REQUIRE(out.error);
    CHECK(out.error->code == ErrorCode::not_found);
    CHECK(out.error->field == "job_id");
    CHECK(out.events.empty());
    CHECK_FALSE(out.job_state);
  }
  CHECK(d.sm.job(1)->state == JobState::queued);
}

TEST_CASE("cancel ends a queued job and reports it", "[state][cancel]") {
  Driver d;
  REQUIRE(d.enqueue("r1", "alice", Priority::low).job_id == 1);
  ApplyOutcome out = d.cancel(1, "bob", 4321);
  REQUIRE_FALSE(out.error);
  CHECK(out.job_id == 1);
  CHECK(out.job_state == JobState::cancelled);
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].topic == "job.cancelled");
  CHECK(out.events[0].attrs.at("job_id") == "1");
  CHECK(out.events[0].attrs.at("requester") == "bob");
  REQUIRE(out.ended.size() == 1);
  CHECK(out.ended[0] ==
        JobEnded{1, JobState::cancelled, std::string("cancelled by bob")});
  const JobRecord* job = d.sm.job(1);
  REQUIRE(job != nullptr);
  CHECK(job->state == JobState::cancelled);
  CHECK(job->ended_ms == 4321);
  CHECK(job->error == "cancelled by bob");
  CHECK(d.sm.queued_tasks() == 0);
}

TEST_CASE("a second cancel succeeds without a second event",
          "[state][cancel]") {
  Driver d;
  REQUIRE(d.enqueue("r1").job_id == 1);
  REQUIRE_FALSE(d.cancel(1, "alice", 2000).error);
  StateMachine before = d.sm;
  ApplyOutcome again = d.cancel(1, "bob", 9000);
  REQUIRE_FALSE(again.error);
  CHECK(again.job_id == 1);
  CHECK(again.job_state == JobState::cancelled);
  CHECK(again.events.empty());
  CHECK(again.ended.empty());
  CHECK(d.sm.job(1)->ended_ms == 2000);
  CHECK(d.sm.job(1)->error == "cancelled by alice");
  // Only the applied index moved.
  before.apply(LogEntry{d.index, 1, 0, {}});
  CHECK(d.sm == before);
}

TEST_CASE("cancel of a job that ended otherwise is a conflict",
          "[state][cancel]") {
  StateMachine sm;
  restore_or_fail(sm, history_with_ended_jobs());
  StateMachine before = sm;
  std::uint64_t index = 50;
  for (std::uint64_t id : {1u, 2u, 3u}) {
    ApplyOutcome out = sm.apply(LogEntry{
        ++index, 1, 2, encode_record(CancelCommand{id, "a", 5, std::nullopt})});
    REQUIRE(out.error);
    CHECK(out.error->code == ErrorCode::conflict);
    CHECK_THAT(out.error->reason,
               Catch::Contains(std::string(job_state_name(sm.job(id)->state))));
    CHECK(out.events.empty());
    CHECK(out.ended.empty());
  }
  CHECK(sm.job(1)->state == JobState::completed);
  CHECK(sm.job(2)->state == JobState::failed);
  CHECK(sm.job(3)->state == JobState::dead_lettered);
  before.apply(LogEntry{index, 1, 0, {}});
  CHECK(sm == before);
}

TEST_CASE("cancel ends an active job", "[state][cancel]") {
  StateMachine sm;
  restore_or_fail(sm, history_with_ended_jobs());
  REQUIRE(sm.active_tasks() == 1);
  ApplyOutcome out = sm.apply(LogEntry{
      51, 1, 2, encode_record(CancelCommand{4, "a", 5, std::nullopt})});
  REQUIRE_FALSE(out.error);
  CHECK(out.job_state == JobState::cancelled);
  CHECK(sm.active_tasks() == 0);
  CHECK(sm.job(4)->state == JobState::cancelled);
}

TEST_CASE("update_context numbers versions per address", "[state][context]") {
  Driver d;
  Context first = make_context(kAddress, "first");
  first.version = 99;  // ignored: the state machine numbers versions
  ApplyOutcome out = d.update(first);
  REQUIRE_FALSE(out.error);
  CHECK(out.address == kAddress);
  CHECK(out.version == 1);
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].topic == "context.stored");
  CHECK(out.events[0].attrs.at("address") == kAddress);
  CHECK(out.events[0].attrs.at("version") == "1");
  REQUIRE(d.sm.context(kAddress).has_value());
  CHECK(d.sm.context(kAddress)->version == 1);

  ApplyOutcome second = d.update(make_context(kAddress, "second"));
  CHECK(second.version == 2);
  CHECK(d.sm.context(kAddress)->summary == "second");
  CHECK(d.sm.context(kAddress)->version == 2);

  CHECK(d.update(make_context(kOtherAddress, "b")).version == 1);
  CHECK(d.sm.context_count() == 2);
  CHECK(!d.sm.context("ucxl://nowhere"));
}

// Fields of an EnqueueCommand with a priority the codec does not know.
struct EnqueueWithBadPriority {
  std::string request_id = "r1", requester = "alice", role = "developer";
  std::string address = kAddress, priority = "urgent";
  std::uint64_t time_ms = 1;
  template <class V>
  void fields(V& v) {
    v.req("request_id", request_id);
    v.req("requester", requester);
    v.req("role", role);
    v.req("address", address);
    v.req("priority", priority);
    v.req("time_ms", time_ms);
  }
};

// A context map without its required address.
struct UpdateWithoutAddress {
  Metrics context;
  std::string requester = "bob";
  std::uint64_t time_ms = 1;
  template <class V>
  void fields(V& v) {
    v.req("context", context);
    v.req("requester", requester);
    v.req("time_ms", time_ms);
  }
};

TEST_CASE(
    "undecodable commands and unknown kinds are bad_request and change "
    "nothing",
    "[state][malformed]") {
  struct Case {
    std::string name;
    std::uint64_t kind;
    Bytes data;
    std::string field;
  };

  EnqueueCommand huge = make_enqueue("big");
  huge.content = Bytes(limits::message_bytes_max + 1, 7);
  const std::vector<Case> cases = {
      {"reserved byte", 1, Bytes{0xc1}, ""},
      {"empty data", 2, Bytes{}, ""},
      {"not a map", 3, Bytes{0x93, 1, 2, 3}, ""},
      {"another command's fields", 1,
       encode_record(CancelCommand{1, "alice", 1, std::nullopt}), "request_id"},
      {"unknown priority", 1, encode_record(EnqueueWithBadPriority{}),
       "priority"},
      {"nested field missing", 3, encode_record(UpdateWithoutAddress{}),
       "context.address"},
      {"over the message limit", 1, encode_record(huge), ""},
      {"unknown kind", 99, encode_record(make_enqueue("r9")), "kind"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Driver d;
      REQUIRE(d.enqueue("r1").job_id == 1);
      REQUIRE(d.update(make_context(kAddress, "x")).version == 1);
      Driver twin = d;
      ApplyOutcome out = d.raw(c.kind, c.data);
      REQUIRE(out.error);
      CHECK(out.error->code == ErrorCode::bad_request);
      if (!c.field.empty()) CHECK(out.error->field == c.field);
      CHECK(out.job_id == 0);
      CHECK(out.events.empty());
      CHECK(d.sm.applied_index() == 3);
      twin.noop();
      CHECK(d.sm == twin.sm);
      CHECK(d.sm.snapshot() == twin.sm.snapshot());
      CHECK(d.enqueue("r2").job_id == 2);
    }
  }
}

TEST_CASE("remembered request ids are forgotten oldest first",
          "[state][dedup][limits]") {
  Driver d(StateLimits{.request_ids_max = 2});
  REQUIRE(d.enqueue("a").job_id == 1);
  REQUIRE(d.enqueue("b").job_id == 2);
  // A duplicate does not refresh a's place in the FIFO.
  REQUIRE(d.enqueue("a").outcome == "duplicate");
  REQUIRE(d.enqueue("c").job_id == 3);
  CHECK_FALSE(d.sm.job_for_request("alice", "a"));
  CHECK(d.sm.job_for_request("alice", "b") == 2u);
  CHECK(d.sm.job_for_request("alice", "c") == 3u);
  // A retry older than the window is a new request.
  ApplyOutcome late = d.enqueue("a");
  CHECK(late.outcome == "queued");
  CHECK(late.job_id == 4);
  CHECK_FALSE(d.sm.job_for_request("alice", "b"));
  CHECK(d.enqueue("c").outcome == "duplicate");
}

TEST_CASE("ended jobs are forgotten oldest first", "[state][limits]") {
  Driver d(StateLimits{.ended_jobs_max = 2});
  for (const char* r : {"r1", "r2", "r3", "r4"})
    REQUIRE_FALSE(d.enqueue(r).error);
  // End order, not id order, decides: 2 ends first.
  for (std::uint64_t id : {2u, 1u, 3u}) REQUIRE_FALSE(d.cancel(id).error);
  CHECK(d.sm.job(2) == nullptr);
  REQUIRE(d.sm.job(1) != nullptr);
  REQUIRE(d.sm.job(3) != nullptr);
  CHECK(d.sm.job(4)->state == JobState::queued);
  // A forgotten job is unknown to cancel...
  CHECK(d.cancel(2).error->code == ErrorCode::not_found);
  // ...but its request is still deduplicated, naming the old id.
  ApplyOutcome again = d.enqueue("r2");
  CHECK(again.outcome == "duplicate");
  CHECK(again.job_id == 2);
  REQUIRE_FALSE(d.cancel(4).error);
  CHECK(d.sm.job(1) == nullptr);
  CHECK(d.sm.job(3) != nullptr);
}

TEST_CASE("with ended_jobs_max 0 a cancelled job is reported then forgotten",
          "[state][limits]") {
  Driver d(StateLimits{.ended_jobs_max = 0});
  REQUIRE(d.enqueue("r1").job_id == 1);
  ApplyOutcome out = d.cancel(1);
  REQUIRE_FALSE(out.error);
  CHECK(out.job_state == JobState::cancelled);
  REQUIRE(out.ended.size() == 1);
  CHECK(out.ended[0].job_id == 1);
  CHECK(d.sm.job(1) == nullptr);
}

TEST_CASE("queue counts cover every priority", "[state][counts]") {
  Driver d;
  REQUIRE_FALSE(d.enqueue("l1", "alice", Priority::low).error);
  REQUIRE_FALSE(d.enqueue("l2", "alice", Priority::low).error);
  REQUIRE_FALSE(d.enqueue("h1", "alice", Priority::high).error);
  for (const char* r : {"e1", "e2", "e3"}) {
    REQUIRE_FALSE(d.enqueue(r, "alice", Priority::emergency).error);
  }
  REQUIRE_FALSE(d.cancel(6).error);  // e3
  std::vector<QueueCounts> counts = d.sm.queue_counts();
  REQUIRE(counts.size() == 5);
  const Priority order[] = {Priority::low, Priority::normal, Priority::high,
                            Priority::critical, Priority::emergency};
  const std::uint64_t queued[] = {2, 0, 1, 0, 2};
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(counts[i].priority == order[i]);
    CHECK(counts[i].queued == queued[i]);
    CHECK(counts[i].active == 0);
    // Cancelled jobs are neither completed nor failed.
    CHECK(counts[i].completed == 0);
    CHECK(counts[i].failed == 0);
  }
  CHECK(d.sm.queued_tasks() == 5);
  CHECK(d.sm.active_tasks() == 0);
}

TEST_CASE("completed and failed counts do not drop when jobs are forgotten",
          "[state][counts]") {
  StateMachine sm(StateLimits{.ended_jobs_max = 3});
  restore_or_fail(sm, history_with_ended_jobs());
  auto check_counts = [](const StateMachine& m) {
    CHECK(counts_for(m, Priority::high).completed == 1);
    CHECK(counts_for(m, Priority::high).failed == 1);
    CHECK(counts_for(m, Priority::low).failed == 1);  // dead_lettered
    CHECK(counts_for(m, Priority::normal).completed == 0);
    CHECK(counts_for(m, Priority::normal).failed == 0);
  };
  check_counts(sm);
  CHECK(counts_for(sm, Priority::normal).active == 1);
  CHECK(counts_for(sm, Priority::normal).queued == 1);

  // Two cancels push jobs 1 and 2 out of the ended window.
  std::uint64_t index = 50;
  for (std::uint64_t id : {4u, 5u}) {
    REQUIRE_FALSE(sm.apply(LogEntry{++index, 1, 2,
                                    encode_record(CancelCommand{id, "a", 9,
                                                                std::nullopt})})
                      .error);
  }
  REQUIRE(sm.job(1) == nullptr);
  REQUIRE(sm.job(2) == nullptr);
  REQUIRE(sm.job(3) != nullptr);
  check_counts(sm);
  CHECK(counts_for(sm, Priority::normal).active == 0);
  CHECK(counts_for(sm, Priority::normal).queued == 0);

  // The forgotten counts travel in the snapshot.
  StateMachine restored(StateLimits{.ended_jobs_max = 3});
  REQUIRE(restored.restore(sm.snapshot()).ok());
  check_counts(restored);
  CHECK(restored == sm);
}

// A history touching every kind of state: jobs with all optional fields,
// waiting and released jobs, leases, results (duplicate and late ones
// too), retries, expiry, cached and attached requests, duplicates,
// refusals, cancels, evictions, contexts with nested records and meta.
void mixed_history(Driver& d) {
  const std::string x = address_of("x"), y = address_of("y");
  d.update(make_context(x, "x"));
  EnqueueCommand ydir = make_enqueue("ydir", "erin", Priority::low);
  ydir.address = y;
  ydir.content_hash = "yh";
  ydir.content_hash_verified = true;
  REQUIRE(d.enqueue(ydir).job_id == 1);
  EnqueueCommand full = make_enqueue("full", "carol", Priority::critical);
  full.content = Bytes{0, 1, 2, 255};
  full.content_hash = "deadbeef";
  full.file_path = "src/main.cc";
  full.depends_on = {x, y};
  full.deadline_ms = 777;
  REQUIRE(d.enqueue(full).job_id == 2);  // waits for job 1
  for (int i = 0; i < 6; ++i) {          // jobs 3..8
    d.enqueue("r" + std::to_string(i), i % 2 ? "alice" : "bob",
              static_cast<Priority>(i % 5));
  }
  REQUIRE(d.enqueue("r5", "alice").outcome == "duplicate");
  EnqueueCommand attach = make_enqueue("att", "frank");
  attach.address = y;
  attach.content_hash = "yh";
  REQUIRE(d.enqueue(attach).outcome == "attached");
  EnqueueCommand cycle = make_enqueue("cycle", "frank");
  cycle.depends_on = {kAddress};
  REQUIRE(d.enqueue(cycle).error);
  d.noop();
  d.cancel(3);
  d.cancel(5, "bob");
  d.cancel(3);    // idempotent
  d.cancel(999);  // not_found
  d.raw(1, Bytes{0xc1});
  d.update(make_context(kAddress, "summary"));
  d.update(make_context(kAddress, "again"));
  Context c = make_context(kOtherAddress, "nested records");
  c.symbols = {{"main", "function", 3}, {"Foo", "class", 10}};
  c.metrics.lines_code = 40;
  c.tags = {"core"};
  c.license = "MIT";
  c.confidence = 0.75;
  d.update(c);
  REQUIRE(d.lease_next(2000, 3).leased.size() == 3);  // 7, 6, 4
  Context generated = make_context("ignored", "generated");
  generated.engine_version = "e1";
  d.complete(7, 1, generated, 4000);
  d.fail(6, 1, "boom", 5000, 6000);     // retry from 6000
  d.complete(7, 1, generated, 4100);    // duplicate generation
  d.complete(999, 1, generated, 4200);  // late
  d.lease({{1, 1}}, 5000, 9000);
  d.complete(1, 1, generated, 5100);  // releases job 2
  EnqueueCommand cached = make_enqueue("cached", "gina");
  cached.address = y;
  cached.content_hash = "yh";
  cached.engine_version = "e1";
  REQUIRE(d.enqueue(cached).outcome == "cached");
  EnqueueCommand wait = make_enqueue("wait", "bob");
  wait.address = kOtherAddress;
  wait.depends_on = {kAddress};
  REQUIRE(d.enqueue(wait).job_id == 9);  // waits for job 8
  d.cancel(8);                           // job 9 released, degraded
  wait.request_id = "wait3";
  REQUIRE(d.enqueue(wait).job_id == 10);  // waits for job 6
  d.expire(800);                          // job 2 misses its deadline
  d.enqueue("late", "dave", Priority::emergency);
}

TEST_CASE("a snapshot restores the exact state", "[state][snapshot]") {
  const StateLimits limits{.queue_depth_max = 10,
                           .request_ids_max = 4,
                           .ended_jobs_max = 2,
                           .requester_jobs_max = 10};
  Driver d(limits);
  mixed_history(d);
  REQUIRE(d.sm.context(kOtherAddress)->symbols.size() == 2);
  REQUIRE(d.sm.context(kAddress)->version == 3);
  REQUIRE(d.sm.job(3) == nullptr);  // evicted: the history is not trivial
  REQUIRE(d.sm.job(2)->state == JobState::failed);
  REQUIRE(d.sm.job(9)->failed_dependencies == std::vector{kAddress});
  REQUIRE(d.sm.job(10)->state == JobState::waiting);
  REQUIRE(d.sm.job(4)->state == JobState::active);
  REQUIRE(d.sm.counters().duplicate_generations == 1);
  REQUIRE(d.sm.counters().late_results == 1);

  Bytes bytes = d.sm.snapshot();
  Driver restored(limits);
  restored.enqueue("existing");  // restore replaces, it does not merge
  Status s = restored.sm.restore(bytes);
  REQUIRE(s.ok());
  restored.index = d.index;
  CHECK(restored.sm == d.sm);
  CHECK(restored.sm.snapshot() == bytes);
  CHECK(restored.sm.applied_index() == d.sm.applied_index());
  for (std::uint64_t id = 1; id <= 12; ++id) {
    INFO("job " << id);
    REQUIRE((restored.sm.job(id) == nullptr) == (d.sm.job(id) == nullptr));
    if (d.sm.job(id) != nullptr) CHECK(*restored.sm.job(id) == *d.sm.job(id));
  }
  CHECK(*restored.sm.context(kAddress) == *d.sm.context(kAddress));
  CHECK(*restored.sm.context(kOtherAddress) == *d.sm.context(kOtherAddress));
  REQUIRE(restored.sm.context_meta(address_of("y")).has_value());
  CHECK(*restored.sm.context_meta(address_of("y")) ==
        *d.sm.context_meta(address_of("y")));
  CHECK(restored.sm.queue_counts() == d.sm.queue_counts());
  CHECK(restored.sm.queued_tasks() == d.sm.queued_tasks());
  CHECK(restored.sm.counters() == d.sm.counters());
  CHECK(restored.sm.job_for_request("alice", "existing") ==
        d.sm.job_for_request("alice", "existing"));
  // The derived indexes were rebuilt.
  CHECK(restored.sm.next_dispatch(9000, 100, {}) ==
        d.sm.next_dispatch(9000, 100, {}));
  CHECK(restored.sm.expired_leases(UINT64_MAX, 100) ==
        d.sm.expired_leases(UINT64_MAX, 100));
  CHECK(restored.sm.active_jobs() == d.sm.active_jobs());
  CHECK(restored.sm.earliest_deadline() == d.sm.earliest_deadline());

  // Both continue identically: next job id, FIFO, ended order, waits,
  // leases and dedup keys survived.
  auto both = [&](auto step) {
    ApplyOutcome a = step(d);
    ApplyOutcome b = step(restored);
    check_same_outcome(a, b);
  };
  both([](Driver& x) { return x.enqueue("n1"); });
  both([](Driver& x) { return x.enqueue("n2"); });
  both([](Driver& x) { return x.cancel(1); });
  both([](Driver& x) { return x.cancel(4); });  // active → cancelled
  both([](Driver& x) { return x.lease_next(20000, 4); });
  both([](Driver& x) {
    return x.complete(6, 2, make_context("", "six"), 21000);  // frees 10
  });
  both([](Driver& x) { return x.complete(4, 1, make_context("", "late")); });
  both([](Driver& x) { return x.enqueue("r3", "alice"); });
  both([](Driver& x) { return x.enqueue("full", "carol"); });
  both([](Driver& x) { return x.update(make_context(kAddress, "z")); });
  both([](Driver& x) { return x.expire(UINT64_MAX); });
  CHECK(restored.sm == d.sm);
  CHECK(restored.sm.snapshot() == d.sm.snapshot());
  CHECK(d.sm.counters().duplicate_generations == 2);
}

TEST_CASE("an empty machine round trips too", "[state][snapshot]") {
  StateMachine a;
  StateMachine b;
  Driver other;
  other.enqueue("x");
  REQUIRE(other.sm.restore(a.snapshot()).ok());
  CHECK(other.sm == a);
  CHECK(other.sm.job(1) == nullptr);
  CHECK_FALSE(other.sm.job_for_request("alice", "x"));
  CHECK(other.sm.queued_tasks() == 0);
  CHECK(b.restore(a.snapshot()).ok());
  CHECK(b == a);
}

TEST_CASE("states that differ compare unequal", "[state]") {
  Driver a, b;
  a.enqueue("r1");
  b.enqueue("r1");
  REQUIRE(a.sm == b.sm);
  a.update(make_context(kAddress, "one"));
  b.update(make_context(kAddress, "two"));
  CHECK_FALSE(a.sm == b.sm);
  Driver c, e;
  c.enqueue("r1");
  e.enqueue("r1", "bob");
  CHECK_FALSE(c.sm == e.sm);
  Driver f, g;
  f.noop();
  CHECK_FALSE(f.sm == g.sm);
}

TEST_CASE("restore refuses what is not a snapshot and keeps the state",
          "[state][snapshot][malformed]") {
  Driver d(StateLimits{.request_ids_max = 4, .ended_jobs_max = 2});
  mixed_history(d);
  const StateMachine before = d.sm;
  const Bytes before_bytes = d.sm.snapshot();
  Bytes truncated = before_bytes;
  truncated.pop_back();

  auto data_with = [](auto change) {
    SnapshotData data = history_with_ended_jobs();
    change(data);
    return encode_snapshot({data, {}});
  };
  struct Case {
    std::string name;
    Bytes bytes;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"empty", Bytes{}, "frames"},
      {"reserved byte", Bytes{0xc1}, "frames"},
      {"truncated", truncated, "frames"},
      {"a command, not a snapshot",
       [] {
         Bytes b;
         append_frame(
             b, encode_record(CancelCommand{1, "alice", 1, std::nullopt}));
         return b;
       }(),
       "format"},
      {"contexts fewer than counted",
       [] {
         SnapshotData core = history_with_ended_jobs();
         core.context_count = 1;
         Bytes out;
         append_frame(out, encode_record(core));
         return out;
       }(),
       "context_count"},
      {"future format", data_with([](SnapshotData& s) {
         s.format = snapshot_format_version + 1;
       }),
       "format"},
      {"previous format", data_with([](SnapshotData& s) { s.format = 1; }),
       "format"},
      {"next job id zero",
       data_with([](SnapshotData& s) { s.next_job_id = 0; }), "next_job_id"},
      {"duplicate job id",
       data_with([](SnapshotData& s) { s.jobs[1].job_id = 1; }),
       "jobs[1].job_id"},
      {"job id never issued",
       data_with([](SnapshotData& s) { s.jobs[4].job_id = 6; }),
       "jobs[4].job_id"},
      {"unknown job state",
       [] {
         Bytes b = encode_snapshot({history_with_ended_jobs(), {}});
         // "active" → "actiwe": same length, so the framing stays valid.
         const std::string needle = "active";
         auto it =
             std::search(b.begin(), b.end(), needle.begin(), needle.end());
         REQUIRE(it != b.end());
         *(it + 4) = 'w';
         return b;
       }(),
       "jobs[3].state"},
      {"duplicate context",
       encode_snapshot({history_with_ended_jobs(),
                        {{make_context("a", "1"), std::nullopt, ""},
                         {make_context("a", "2"), std::nullopt, ""}}}),
       "contexts[1].context.address"},
      {"waiting without dependencies",
       data_with([](SnapshotData& s) { s.jobs[4].state = JobState::waiting; }),
       "jobs[4].waiting_on"},
      {"queued job with dependencies",
       data_with([](SnapshotData& s) { s.jobs[4].waiting_on = {4}; }),
       "jobs[4].waiting_on"},
      {"waits for an ended job", data_with([](SnapshotData& s) {
         s.jobs[4].state = JobState::waiting;
         s.jobs[4].waiting_on = {1};
       }),
       "jobs[4].waiting_on[0]"},
      {"waits for a newer job", data_with([](SnapshotData& s) {
         s.jobs[3].state = JobState::waiting;
         s.jobs[3].waiting_on = {5};
       }),
       "jobs[3].waiting_on[0]"},
      {"waits for itself", data_with([](SnapshotData& s) {
         s.jobs[4].state = JobState::waiting;
         s.jobs[4].waiting_on = {5};
       }),
       "jobs[4].waiting_on[0]"},
      {"waits for an unknown job", data_with([](SnapshotData& s) {
         s.jobs.erase(s.jobs.begin() + 2);  // job 3
         s.ended_order = {1, 2};
         s.jobs[3].state = JobState::waiting;  // job 5
         s.jobs[3].waiting_on = {3};
       }),
       "jobs[3].waiting_on[0]"},
      {"waits twice for one job", data_with([](SnapshotData& s) {
         s.jobs[4].state = JobState::waiting;
         s.jobs[4].waiting_on = {4, 4};
       }),
       "jobs[4].waiting_on[1]"},
      {"active without an attempt",
       data_with([](SnapshotData& s) { s.jobs[3].attempts = 0; }),
       "jobs[3].attempts"},
      {"request remembered twice",
       data_with([](SnapshotData& s) { s.requests[1] = s.requests[0]; }),
       "requests[1]"},
      {"request for an unissued job",
       data_with([](SnapshotData& s) { s.requests[0].job_id = 60; }),
       "requests[0].job_id"},
      {"end order names a queued job",
       data_with([](SnapshotData& s) { s.ended_order.push_back(5); }),
       "ended_order[3]"},
      {"end order lists a job twice", data_with([](SnapshotData& s) {
         s.ended_order = {1, 2, 2};
       }),
       "ended_order[2]"},
      {"end order misses an ended job", data_with([](SnapshotData& s) {
         s.ended_order = {1, 2};
       }),
       "ended_order"},
      {"forgotten counts for four priorities",
       data_with([](SnapshotData& s) { s.forgotten_ended.pop_back(); }),
       "forgotten_ended"},
      {"forgotten counts out of order", data_with([](SnapshotData& s) {
         std::swap(s.forgotten_ended[0], s.forgotten_ended[1]);
       }),
       "forgotten_ended[0].priority"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Status s = d.sm.restore(c.bytes);
      REQUIRE_FALSE(s.ok());
      CHECK(s.error().code == ErrorCode::bad_request);
      if (!c.field.empty()) CHECK(s.error().field == c.field);
      CHECK(d.sm == before);
      CHECK(d.sm.snapshot() == before_bytes);
    }
  }
}

TEST_CASE("the crafted history is itself a valid snapshot",
          "[state][snapshot]") {
  // Guards the restore-refusal cases above: each fails for its one change.
  StateMachine sm;
  restore_or_fail(sm, history_with_ended_jobs());
  CHECK(sm.applied_index() == 50);
  CHECK(sm.snapshot() == encode_snapshot({history_with_ended_jobs(), {}}));
}

// SplitMix64: one seed decides the whole command sequence.
struct Prng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
};

// No role (an entry from before the ownership rule), or a checked one.
std::optional<std::string> random_role(Prng& prng) {
  switch (prng.below(3)) {
    case 0: return std::nullopt;
    case 1: return "developer";
    default: return "admin";
  }
}

EnqueueCommand random_enqueue(Prng& prng, std::uint64_t time_ms) {
  const auto addr = [&] {
    return "ucxl://a:b@c:d/*^/" + std::to_string(prng.below(5));
  };
  EnqueueCommand c = make_enqueue("r" + std::to_string(prng.below(30)),
                                  prng.below(2) ? "alice" : "bob",
                                  static_cast<Priority>(prng.below(5)));
  c.address = addr();
  c.time_ms = time_ms;
  if (prng.below(2)) {
    c.content_hash = "h" + std::to_string(prng.below(2));
    c.content_hash_verified = prng.below(4) != 0;
    if (prng.below(2)) c.file_path = "f" + std::to_string(prng.below(2));
  }
  c.engine_version = "e" + std::to_string(prng.below(2));
  c.role = prng.below(4) ? "developer" : "architect";
  if (prng.below(3) == 0) c.depends_on = {addr()};
  if (prng.below(4) == 0) c.deadline_ms = time_ms + prng.below(100);
  return c;
}

// Half of the lease, complete and fail commands aim where a leader would
// (its next picks, its active jobs), half at random ids and attempts.
std::vector<LeaseGrant> random_grants(Prng& prng, const StateMachine& leader,
                                      std::uint64_t time_ms) {
  if (prng.below(2)) return {{prng.below(40), 1 + prng.below(3)}};
  std::vector<LeaseGrant> grants;
  for (const DispatchPick& p :
       leader.next_dispatch(time_ms, 1 + prng.below(3), {})) {
    grants.push_back({p.job_id, p.attempt});
  }
  return grants;
}

LeasedJob random_target(Prng& prng, const StateMachine& leader) {
  std::vector<LeasedJob> active = leader.active_jobs();
  if (active.empty() || prng.below(2)) {
    return {prng.below(40), 1 + prng.below(3), 0};
  }
  return active[prng.below(active.size())];
}

LogEntry random_entry(Prng& prng, std::uint64_t index,
                      const StateMachine& leader) {
  LogEntry e{index, 1, 0, {}};
  const std::uint64_t time_ms = 1000 + index;
  switch (prng.below(16)) {
    case 0: break;  // no-op
    case 1:
      e.kind = prng.below(2) ? 1 : 77;
      e.data = Bytes{static_cast<std::uint8_t>(prng.below(256))};
      break;
    case 2:
      e.kind = 2;
      e.data = encode_record(CancelCommand{prng.below(40),
                                           prng.below(2) ? "alice" : "bob",
                                           time_ms, random_role(prng)});
      break;
    case 3: {
      e.kind = 3;
      Context c =
          make_context("ucxl://a:b@c:d/*^/" + std::to_string(prng.below(5)),
                       "s" + std::to_string(index));
      e.data = encode_record(UpdateContextCommand{
          c, prng.below(2) ? "alice" : "bob", time_ms, random_role(prng)});
      break;
    }
    case 4:
    case 5:
      e.kind = 4;
      e.data =
          encode_record(LeaseCommand{1, time_ms, time_ms + prng.below(50),
                                     random_grants(prng, leader, time_ms)});
      break;
    case 6:
    case 7: {
      e.kind = 5;
      const LeasedJob target = random_target(prng, leader);
      Context c = make_context("", "g" + std::to_string(index));
      c.engine_version = "e" + std::to_string(prng.below(2));
      e.data = encode_record(
          CompleteCommand{time_ms, {{target.job_id, target.attempt, 1, c}}});
      break;
    }
    case 8:
    case 9: {
      e.kind = 6;
      const LeasedJob target = random_target(prng, leader);
      e.data = encode_record(FailCommand{
          time_ms,
          {{target.job_id, target.attempt, "x", time_ms + prng.below(30)}}});
      break;
    }
    case 10:
      e.kind = 7;
      e.data = encode_record(ExpireCommand{time_ms});
      break;
    default: e.kind = 1; e.data = encode_record(random_enqueue(prng, time_ms));
  }
  return e;
}

// The entries a leader with these limits might have proposed.
std::vector<LogEntry> random_entries(std::uint64_t seed, std::size_t count,
                                     const StateLimits& limits = {}) {
  Prng prng{seed};
  StateMachine leader(limits);
  std::vector<LogEntry> entries;
  for (std::size_t i = 0; i < count; ++i) {
    entries.push_back(random_entry(prng, i + 1, leader));
    leader.apply(entries.back());
  }
  return entries;
}

TEST_CASE("the same entries give the same state and outcomes",
          "[state][determinism]") {
  const StateLimits limits{.queue_depth_max = 12,
                           .request_ids_max = 15,
                           .ended_jobs_max = 8,
                           .job_attempts_max = 2,
                           .aging_interval_ms = 50};
  const std::uint64_t seed = GENERATE(1u, 2u, 3u, 42u);
  INFO("seed " << seed);
  const std::vector<LogEntry> entries = random_entries(seed, 1000, limits);
  StateMachine a(limits), b(limits), late(limits);
  std::size_t refusals = 0;
  std::map<std::string, std::size_t> seen;  // outcomes and event topics
  for (std::size_t i = 0; i < entries.size(); ++i) {
    ApplyOutcome out_a = a.apply(entries[i]);
    ApplyOutcome out_b = b.apply(entries[i]);
    check_same_outcome(out_a, out_b);
    if (out_a.error) ++refusals;
    ++seen[out_a.outcome];
    for (const StateEvent& e : out_a.events) ++seen[e.topic];
    // A node that joins halfway by snapshot ends in the same state.
    if (i == entries.size() / 2) REQUIRE(late.restore(a.snapshot()).ok());
    if (i > entries.size() / 2)
      check_same_outcome(out_a, late.apply(entries[i]));
  }
  CHECK(refusals > 0);  // the sequence exercises the error paths...
  // ...and every rule.
  for (const char* what :
       {"duplicate", "cached", "attached", "job.waiting", "job.released",
        "job.dispatched", "job.completed", "job.retry", "job.dead_lettered",
        "job.failed", "job.duplicate_result", "job.cancelled"}) {
    INFO(what);
    CHECK(seen[what] > 0);
  }
  CHECK(a == b);
  CHECK(a == late);
  CHECK(a.snapshot() == b.snapshot());
  CHECK(a.snapshot() == late.snapshot());
  CHECK(a.applied_index() == entries.size());
  CHECK(a.next_dispatch(UINT64_MAX / 2, 50, {}) ==
        late.next_dispatch(UINT64_MAX / 2, 50, {}));
  CHECK(a.expired_leases(UINT64_MAX, 50) ==
        late.expired_leases(UINT64_MAX, 50));
}

TEST_CASE("different histories give different snapshots",
          "[state][determinism]") {
  StateMachine a, b;
  for (const LogEntry& e : random_entries(7, 100)) a.apply(e);
  for (const LogEntry& e : random_entries(8, 100)) b.apply(e);
  CHECK_FALSE(a == b);
  CHECK(a.snapshot() != b.snapshot());
}

}  // namespace
}  // namespace slurp::state

namespace slurp::state {
namespace {

TEST_CASE("restore_core takes the core and keeps the store's contexts",
          "[state][snapshot]") {
  const StateLimits limits{.queue_depth_max = 10,
                           .request_ids_max = 4,
                           .ended_jobs_max = 2,
                           .requester_jobs_max = 10};
  Driver d(limits);
  mixed_history(d);
  const Bytes bytes = d.sm.snapshot();
  // The store already holds the contexts (a restart of a node whose
  // contexts live on disk); only the core comes from the snapshot.
  StateMachine restored(limits, d.sm.context_store().clone());
  REQUIRE(restored.restore_core(bytes).ok());
  CHECK(restored == d.sm);
  CHECK(restored.snapshot() == bytes);

  // Without the contexts, the core alone is not the whole state.
  StateMachine core_only(limits);
  REQUIRE(core_only.restore_core(bytes).ok());
  CHECK(core_only.context_count() == d.sm.context_count());
  CHECK_FALSE(core_only.context(kAddress));
  CHECK_FALSE(core_only == d.sm);
}

}  // namespace
}  // namespace slurp::state
