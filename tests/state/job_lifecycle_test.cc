// The worker-driven commands (lease, complete, fail, expire) and cancel of
// running jobs: src/state/state_machine.h, "Queue rules".
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "src/state/state_machine.h"
#include "tests/state/state_driver.h"

namespace slurp::state {
namespace {

using namespace testing;

Context generated(std::string summary, std::string engine = "e1") {
  Context c = make_context("ucxl://whatever/the/worker/said", summary);
  c.engine_version = std::move(engine);
  c.content_hash = std::string(64, 'c');  // a well-formed hex SHA-256
  return c;
}

TEST_CASE("lease, complete: a job's whole successful life",
          "[state][lifecycle]") {
  Driver d;
  EnqueueCommand c = make_enqueue("r1", "alice", Priority::high);
  c.content_hash = "h1";
  c.content_hash_verified = true;
  c.content = Bytes{7};
  c.file_path = "src/a.cc";
  REQUIRE(d.enqueue(c).job_id == 1);

  std::vector<DispatchPick> picks = d.sm.next_dispatch(1000, 10, {});
  REQUIRE(picks == std::vector<DispatchPick>{{1, 1}});
  ApplyOutcome lease = d.lease({{1, 1}}, 1000, 31000, 7);
  REQUIRE_FALSE(lease.error);
  CHECK(lease.leased == std::vector<LeasedJob>{{1, 1, 31000}});
  REQUIRE(lease.events.size() == 1);
  CHECK(lease.events[0].topic == "job.dispatched");
  CHECK(lease.events[0].attrs.at("job_id") == "1");
  CHECK(lease.events[0].attrs.at("attempt") == "1");
  CHECK(lease.events[0].attrs.at("term") == "7");
  const JobRecord* job = d.sm.job(1);
  CHECK(job->state == JobState::active);
  CHECK(job->attempts == 1);
  CHECK(job->lease_until_ms == 31000);
  CHECK(d.sm.active_tasks() == 1);
  CHECK(d.sm.queued_tasks() == 0);
  CHECK(d.sm.next_dispatch(1000, 10, {}).empty());
  CHECK(d.sm.active_jobs() == std::vector<LeasedJob>{{1, 1, 31000}});

  std::optional<Job> wire = d.sm.job_for_dispatch(1, 1, 30000);
  REQUIRE(wire);
  CHECK(wire->job_id == 1);
  CHECK(wire->attempt == 1);
  CHECK(wire->lease_ms == 30000);
  CHECK(wire->address == kAddress);
  CHECK(wire->role == "developer");
  CHECK(wire->priority == Priority::high);
  CHECK(wire->content == Bytes{7});
  CHECK(wire->content_hash == "h1");
  CHECK(wire->file_path == "src/a.cc");
  CHECK(wire->dependencies.empty());
  CHECK_FALSE(d.sm.job_for_dispatch(99, 1, 30000));

  ApplyOutcome done = d.complete(1, 1, generated("ok"), 6000);
  REQUIRE_FALSE(done.error);
  CHECK(topics(done) ==
        std::vector<std::string>{"context.stored", "job.completed"});
  CHECK(done.ended == std::vector<JobEnded>{{1, JobState::completed, {}}});
  const std::optional<Context> stored = d.sm.context(kAddress);
  REQUIRE(stored.has_value());
  CHECK(stored->address == kAddress);  // the job's, not the worker's
  CHECK(stored->version == 1);
  CHECK(stored->summary == "ok");
  CHECK(*d.sm.context_meta(kAddress) ==
        ContextMeta{std::string("h1"), "developer", "e1", 1, true});
  job = d.sm.job(1);
  CHECK(job->state == JobState::completed);
  CHECK(job->ended_ms == 6000);
  CHECK_FALSE(job->error);
  CHECK(d.sm.active_tasks() == 0);
  CHECK(d.sm.active_jobs().empty());
  CHECK(d.sm.queue_counts()[2].completed == 1);
}

TEST_CASE("a lease skips jobs that are not queued and stale attempts",
          "[state][lifecycle]") {
  Driver d;
  for (const char* r : {"r1", "r2", "r3"}) REQUIRE_FALSE(d.enqueue(r).error);
  REQUIRE_FALSE(d.cancel(2).error);
  ApplyOutcome out =
      d.lease({{1, 1}, {1, 1}, {2, 1}, {3, 0}, {99, 1}}, 1500, 9000);
  // 1 once; 2 cancelled; attempt 0 is not above 3's attempts; 99 unknown.
  CHECK(out.leased == std::vector<LeasedJob>{{1, 1, 9000}});
  CHECK(out.events.size() == 1);
  CHECK(d.sm.job(3)->state == JobState::queued);
  // After a retry, the used attempt number cannot be granted again.
  REQUIRE(d.fail(1, 1, "x", 2000).events.at(0).topic == "job.retry");
  CHECK(d.lease({{1, 1}}, 2100, 9000).leased.empty());
  CHECK(d.lease({{1, 2}}, 2100, 9000).leased ==
        std::vector<LeasedJob>{{1, 2, 9000}});
}

TEST_CASE("a failure re-queues with backoff that next_dispatch respects",
          "[state][lifecycle][retry]") {
  Driver d;
  REQUIRE(d.enqueue("r1").job_id == 1);
  REQUIRE(d.lease_next(1000).leased.size() == 1);
  ApplyOutcome out = d.fail(1, 1, "worker crashed", 5000, 9000);
  REQUIRE_FALSE(out.error);
  CHECK(out.ended.empty());
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].topic == "job.retry");
  CHECK(out.events[0].attrs.at("not_before_ms") == "9000");
  const JobRecord* job = d.sm.job(1);
  CHECK(job->state == JobState::queued);
  CHECK(job->error == "worker crashed");
  CHECK(job->attempts == 1);
  CHECK(job->queued_since_ms == 9000);
  CHECK(d.sm.counters().retries == 1);
  CHECK(d.sm.queued_tasks() == 1);
  CHECK(d.sm.next_dispatch(8999, 10, {}).empty());
  CHECK(d.sm.next_dispatch(9000, 10, {}) == std::vector<DispatchPick>{{1, 2}});
  // A backoff already over by the time it is applied: dispatchable now.
  REQUIRE(d.lease_next(9000).leased.size() == 1);
  REQUIRE(d.fail(1, 2, "again", 12000, 11000).events.at(0).topic ==
          "job.retry");
  CHECK(d.sm.job(1)->queued_since_ms == 12000);
  // A successful later attempt clears the error.
  REQUIRE(d.lease_next(12000).leased.size() == 1);
  REQUIRE(d.complete(1, 3, generated("third time")).ended.size() == 1);
  CHECK_FALSE(d.sm.job(1)->error);
}

TEST_CASE("the last allowed attempt's failure dead-letters the job",
          "[state][lifecycle][retry]") {
  Driver d(StateLimits{.job_attempts_max = 3});
  REQUIRE(d.enqueue("r1", "alice", Priority::low).job_id == 1);
  std::uint64_t now = 1000;
  for (std::uint64_t attempt = 1; attempt <= 2; ++attempt) {
    REQUIRE(d.lease_next(now).leased.size() == 1);
    REQUIRE(d.sm.job(1)->attempts == attempt);
    ApplyOutcome out =
        d.fail(1, attempt, "error " + std::to_string(attempt), now + 1, now);
    REQUIRE(topics(out) == std::vector<std::string>{"job.retry"});
    now += 10;
  }
  REQUIRE(d.lease_next(now).leased.size() == 1);
  ApplyOutcome out = d.fail(1, 3, "error 3", now + 1, now + 5000);
  CHECK(topics(out) == std::vector<std::string>{"job.dead_lettered"});
  CHECK(out.ended ==
        std::vector<JobEnded>{{1, JobState::dead_lettered, "error 3"}});
  const JobRecord* job = d.sm.job(1);
  CHECK(job->state == JobState::dead_lettered);
  CHECK(job->error == "error 3");
  CHECK(job->ended_ms == now + 1);
  CHECK(d.sm.counters().dead_lettered == 1);
  CHECK(d.sm.counters().retries == 2);
  CHECK(d.sm.queue_counts()[0].failed == 1);
  CHECK(d.sm.next_dispatch(UINT64_MAX, 10, {}).empty());
  CHECK(d.sm.queued_tasks() == 0);
}

TEST_CASE("a failure for an older attempt, or of a re-queued job, is stale",
          "[state][lifecycle][retry]") {
  Driver d;
  REQUIRE(d.enqueue("r1").job_id == 1);
  REQUIRE(d.lease_next(1000).leased.size() == 1);
  REQUIRE(d.fail(1, 1, "lease expired", 2000, 2000).events.at(0).topic ==
          "job.retry");
  // The worker's own report of attempt 1 arrives after the expiry.
  StateMachine before = d.sm;
  ApplyOutcome late = d.fail(1, 1, "worker error", 2100, 2100);
  CHECK(topics(late) == std::vector<std::string>{"job.failure_ignored"});
  REQUIRE(d.lease_next(3000).leased.size() == 1);
  ApplyOutcome stale = d.fail(1, 1, "worker error", 3100, 3100);
  CHECK(topics(stale) == std::vector<std::string>{"job.failure_ignored"});
  CHECK(d.sm.job(1)->state == JobState::active);
  CHECK(d.sm.job(1)->attempts == 2);
  CHECK(d.sm.job(1)->error == "lease expired");
  CHECK(d.sm.counters().retries == 1);
  // Unknown jobs and waiting jobs: ignored too.
  CHECK(topics(d.fail(99, 1, "x")) ==
        std::vector<std::string>{"job.failure_ignored"});
}

TEST_CASE("duplicate and late results never store a second version",
          "[state][lifecycle][results]") {
  Driver d;
  REQUIRE(d.enqueue("r1").job_id == 1);
  REQUIRE(d.lease_next(1000).leased.size() == 1);
  // Attempt 1's lease runs out; attempt 2 is dispatched; then attempt 1's
  // result arrives after all: valid work, accepted once.
  REQUIRE(d.fail(1, 1, "lease expired", 40000, 40000).events.size() == 1);
  REQUIRE(d.lease_next(40000).leased.size() == 1);
  ApplyOutcome first = d.complete(1, 1, generated("from attempt 1"), 41000);
  REQUIRE(first.ended.size() == 1);
  CHECK(d.sm.context(kAddress)->version == 1);
  CHECK(d.sm.context(kAddress)->summary == "from attempt 1");
  CHECK(d.sm.active_jobs().empty());

  // Attempt 2 finishes too; and a replayed result of attempt 1.
  for (std::uint64_t attempt : {2u, 1u}) {
    ApplyOutcome dup = d.complete(1, attempt, generated("again"), 42000);
    REQUIRE_FALSE(dup.error);
    CHECK(topics(dup) == std::vector<std::string>{"job.duplicate_result"});
    CHECK(dup.events[0].attrs.at("state") == "completed");
    CHECK(dup.ended.empty());
  }
  CHECK(d.sm.context(kAddress)->version == 1);
  CHECK(d.sm.context(kAddress)->summary == "from attempt 1");
  CHECK(d.sm.counters().duplicate_generations == 2);
  CHECK(d.sm.counters().late_results == 0);
  CHECK(d.sm.queue_counts()[1].completed == 1);

  // Unknown jobs (never created, or forgotten): late.
  ApplyOutcome unknown = d.complete(77, 1, generated("?"));
  CHECK(unknown.events.at(0).attrs.at("state") == "unknown");
  CHECK(d.sm.counters().late_results == 1);
  CHECK(d.sm.context_count() == 1);
}

TEST_CASE("cancel ends queued and active jobs; a later result is ignored",
          "[state][lifecycle][cancel]") {
  Driver d;
  REQUIRE(d.enqueue("q").job_id == 1);
  REQUIRE(d.enqueue("a").job_id == 2);
  REQUIRE(d.lease({{2, 1}}, 1000, 9000).leased.size() == 1);

  ApplyOutcome q = d.cancel(1);
  CHECK(q.events.at(0).attrs.at("was") == "queued");
  CHECK(d.sm.next_dispatch(UINT64_MAX, 10, {}).empty());
  CHECK(d.lease({{1, 1}}, 1000, 9000).leased.empty());

  ApplyOutcome a = d.cancel(2);
  CHECK(a.events.at(0).attrs.at("was") == "active");
  CHECK(a.job_state == JobState::cancelled);
  CHECK(d.sm.active_tasks() == 0);
  CHECK(d.sm.expired_leases(UINT64_MAX, 10).empty());
  CHECK(d.sm.active_jobs().empty());
  // The worker did not hear of the cancel and delivers.
  ApplyOutcome result = d.complete(2, 1, generated("unwanted"));
  CHECK(topics(result) == std::vector<std::string>{"job.duplicate_result"});
  CHECK(result.events[0].attrs.at("state") == "cancelled");
  CHECK_FALSE(d.sm.context(kAddress));
  CHECK(d.sm.counters().duplicate_generations == 1);
  CHECK(d.sm.job(2)->state == JobState::cancelled);
  // A failure report is ignored as well.
  CHECK(topics(d.fail(2, 1, "x")) ==
        std::vector<std::string>{"job.failure_ignored"});
}

TEST_CASE("expire fails every job past its deadline, whatever its state",
          "[state][lifecycle][deadline]") {
  Driver d;
  const std::string dep = address_of("dep");
  auto with_deadline = [](std::string id, std::string address,
                          std::optional<std::uint64_t> deadline,
                          std::vector<std::string> deps = {}) {
    EnqueueCommand c = make_enqueue(std::move(id));
    c.address = std::move(address);
    c.deadline_ms = deadline;
    c.depends_on = std::move(deps);
    return c;
  };
  REQUIRE(d.enqueue(with_deadline("dep", dep, 9000)).job_id == 1);
  REQUIRE(d.enqueue(with_deadline("active", address_of("x"), 5000)).job_id ==
          2);
  REQUIRE(d.enqueue(with_deadline("waiting", address_of("y"), 6000, {dep}))
              .job_id == 3);
  REQUIRE(d.enqueue(with_deadline("queued", address_of("z"), 7000)).job_id ==
          4);
  REQUIRE(d.enqueue(with_deadline("none", address_of("w"), {})).job_id == 5);
  REQUIRE(d.lease({{2, 1}}, 1000, 90000).leased.size() == 1);
  CHECK(d.sm.earliest_deadline() == 5000u);

  CHECK(d.expire(4999).events.empty());
  ApplyOutcome out = d.expire(6000);
  CHECK(topics(out) == std::vector<std::string>{"job.failed", "job.failed"});
  CHECK(out.events[0].attrs.at("was") == "active");
  CHECK(out.events[1].attrs.at("was") == "waiting");
  CHECK(out.ended ==
        std::vector<JobEnded>{{2, JobState::failed, "deadline exceeded"},
                              {3, JobState::failed, "deadline exceeded"}});
  CHECK(d.sm.job(2)->ended_ms == 6000);
  CHECK(d.sm.active_tasks() == 0);
  CHECK(d.sm.waiting_tasks() == 0);
  CHECK(d.sm.earliest_deadline() == 7000u);
  // The worker's result for the expired job is too late.
  CHECK(d.complete(2, 1, generated("slow")).events.at(0).topic ==
        "job.duplicate_result");
  CHECK(d.sm.counters().late_results == 1);
  CHECK_FALSE(d.sm.context(address_of("x")));

  CHECK(d.expire(UINT64_MAX).ended.size() == 2);  // 1 and 4
  CHECK_FALSE(d.sm.earliest_deadline());
  CHECK(d.sm.job(5)->state == JobState::queued);
  CHECK(d.sm.queue_counts()[1].failed == 4);
}

TEST_CASE("expired_leases lists active jobs whose lease ran out, oldest first",
          "[state][lifecycle][lease]") {
  Driver d;
  for (const char* r : {"r1", "r2", "r3"}) REQUIRE_FALSE(d.enqueue(r).error);
  REQUIRE(d.lease({{1, 1}}, 1000, 8000).leased.size() == 1);
  REQUIRE(d.lease({{2, 1}, {3, 1}}, 1000, 5000).leased.size() == 2);
  CHECK(d.sm.expired_leases(4999, 10).empty());
  CHECK(d.sm.expired_leases(5000, 10) ==
        std::vector<LeasedJob>{{2, 1, 5000}, {3, 1, 5000}});
  CHECK(d.sm.expired_leases(9000, 2) ==
        std::vector<LeasedJob>{{2, 1, 5000}, {3, 1, 5000}});
  CHECK(d.sm.expired_leases(9000, 10).size() == 3);
  CHECK(d.sm.active_jobs() ==
        std::vector<LeasedJob>{{1, 1, 8000}, {2, 1, 5000}, {3, 1, 5000}});
  // What the leader does about them.
  REQUIRE(d.fail(2, 1, "lease expired", 5000, 6000).events.at(0).topic ==
          "job.retry");
  REQUIRE(d.complete(3, 1, generated("in time")).ended.size() == 1);
  CHECK(d.sm.expired_leases(9000, 10) == std::vector<LeasedJob>{{1, 1, 8000}});
}

TEST_CASE("several results and failures in one command apply in order",
          "[state][lifecycle]") {
  Driver d;
  EnqueueCommand other = make_enqueue("r2");
  other.address = kOtherAddress;
  REQUIRE(d.enqueue("r1").job_id == 1);
  REQUIRE(d.enqueue(other).job_id == 2);
  REQUIRE(d.lease({{1, 1}, {2, 1}}, 1000, 9000).leased.size() == 2);
  ApplyOutcome out = d.command(
      CommandKind::complete, CompleteCommand{5000,
                                             {{1, 1, 1, generated("one")},
                                              {1, 1, 1, generated("one again")},
                                              {2, 1, 1, generated("two")}}});
  CHECK(out.ended.size() == 2);
  CHECK(d.sm.context(kAddress)->summary == "one");
  CHECK(d.sm.context(kOtherAddress)->summary == "two");
  CHECK(d.sm.counters().duplicate_generations == 1);
}

}  // namespace
}  // namespace slurp::state
