// The queue's enqueue rules (src/state/state_machine.h, "Queue rules"):
// admission bounds, the cache and attach steps, and dependencies.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "src/context/dependency_trim.h"
#include "src/state/state_machine.h"
#include "tests/state/state_driver.h"

namespace slurp::state {
namespace {

using namespace testing;

// A request whose hash the leader verified (it sent its content inline).
EnqueueCommand hashed(std::string request_id, std::string hash,
                      std::string requester = "alice") {
  EnqueueCommand c = make_enqueue(std::move(request_id), std::move(requester));
  c.content_hash = std::move(hash);
  c.content_hash_verified = true;
  c.engine_version = "e1";
  return c;
}

EnqueueCommand at(std::string request_id, const std::string& address,
                  std::vector<std::string> depends_on = {}) {
  EnqueueCommand c = make_enqueue(std::move(request_id));
  c.address = address;
  c.depends_on = std::move(depends_on);
  return c;
}

std::uint64_t queued_in_counts(const StateMachine& sm) {
  std::uint64_t total = 0;
  for (const QueueCounts& c : sm.queue_counts()) total += c.queued;
  return total;
}

// Runs job `job_id` (queued) to completion with a context made by engine
// "e1", as a leader and a worker would.
void generate(Driver& d, std::uint64_t job_id, std::uint64_t time_ms = 5000) {
  REQUIRE(d.lease({{job_id, d.sm.job(job_id)->attempts + 1}}, time_ms,
                  time_ms + 100)
              .leased.size() == 1);
  Context c = make_context("", "generated");
  c.engine_version = "e1";
  REQUIRE(d.complete(job_id, d.sm.job(job_id)->attempts, c, time_ms + 1)
              .ended.size() == 1);
}

TEST_CASE("queue depth counts queued and waiting jobs, not active ones",
          "[state][queue][limits]") {
  Driver d(StateLimits{.queue_depth_max = 3, .requester_jobs_max = 3});
  REQUIRE(d.enqueue(at("dep", address_of("dep"))).job_id == 1);
  REQUIRE(
      d.sm.job(d.enqueue(at("w", address_of("w"), {address_of("dep")})).job_id)
          ->state == JobState::waiting);
  REQUIRE(d.enqueue(at("q", address_of("q"))).job_id == 3);
  CHECK(d.sm.queued_tasks() == 3);
  CHECK(d.sm.waiting_tasks() == 1);
  ApplyOutcome full = d.enqueue(at("x", address_of("x")));
  REQUIRE(full.error);
  CHECK(full.error->code == ErrorCode::queue_full);
  CHECK_THAT(full.error->reason, Catch::Contains("queued and waiting"));
  CHECK(full.events.at(0).attrs.at("limit") == "queue_depth_max");
  // Leasing a job frees a slot: active jobs hold a worker, not the queue.
  REQUIRE(d.lease({{1, 1}}, 2000, 9000).leased.size() == 1);
  CHECK(d.sm.queued_tasks() == 2);
  CHECK(d.enqueue(at("x", address_of("x"))).outcome == "queued");
}

TEST_CASE("one requester holds at most its share of the queue",
          "[state][queue][limits]") {
  // Default share: queue_depth_max / 4.
  CHECK(StateLimits{.queue_depth_max = 8}.requester_jobs_limit() == 2);
  CHECK(StateLimits{.queue_depth_max = 3}.requester_jobs_limit() == 1);
  CHECK(StateLimits{.queue_depth_max = 8, .requester_jobs_max = 5}
            .requester_jobs_limit() == 5);

  Driver d(StateLimits{.queue_depth_max = 8});
  REQUIRE(d.enqueue("a1", "alice").outcome == "queued");
  REQUIRE(d.enqueue("a2", "alice").outcome == "queued");
  ApplyOutcome third = d.enqueue("a3", "alice");
  REQUIRE(third.error);
  CHECK(third.error->code == ErrorCode::queue_full);
  CHECK_THAT(third.error->reason, Catch::Contains("alice") &&
                                      Catch::Contains("share of 2") &&
                                      Catch::Contains("requester_jobs_max"));
  CHECK(third.events.at(0).attrs.at("limit") == "requester_jobs_max");
  CHECK_FALSE(d.sm.job_for_request("alice", "a3"));
  // Others are not affected; the queue itself is far from full.
  CHECK(d.enqueue("b1", "bob").outcome == "queued");
  // A retry of an accepted request is still answered.
  CHECK(d.enqueue("a1", "alice").outcome == "duplicate");
  // A leased job no longer counts against its requester.
  REQUIRE(d.lease({{1, 1}}, 2000, 9000).leased.size() == 1);
  CHECK(d.enqueue("a3", "alice").outcome == "queued");
  CHECK(d.enqueue("a4", "alice").error->code == ErrorCode::queue_full);
  // A cancel frees the share too.
  REQUIRE_FALSE(d.cancel(2).error);
  CHECK(d.enqueue("a4", "alice").outcome == "queued");
}

TEST_CASE("a stored context from the same content, role and engine is a hit",
          "[state][queue][cache]") {
  Driver d;
  REQUIRE(d.enqueue(hashed("gen", "h1")).job_id == 1);
  generate(d, 1);
  const std::optional<ContextMeta> meta = d.sm.context_meta(kAddress);
  REQUIRE(meta.has_value());
  CHECK(*meta == ContextMeta{std::string("h1"), "developer", "e1", 1, true});

  ApplyOutcome hit = d.enqueue(hashed("again", "h1", "bob"));
  REQUIRE_FALSE(hit.error);
  CHECK(hit.outcome == "cached");
  CHECK(hit.job_id == 1);
  CHECK(topics(hit) == std::vector<std::string>{"request.cached"});
  CHECK(hit.events[0].attrs.at("request_id") == "again");
  CHECK(d.sm.counters().cache_hits == 1);
  CHECK(d.sm.queued_tasks() == 0);
  // Its retry is a duplicate of the same job.
  ApplyOutcome retry = d.enqueue(hashed("again", "h1", "bob"));
  CHECK(retry.outcome == "duplicate");
  CHECK(retry.job_id == 1);
  CHECK(d.sm.counters().cache_hits == 1);
  // No job id was used by the hit.
  CHECK(d.enqueue("plain").job_id == 2);
}

TEST_CASE("a cache hit needs hash, role and engine version to match",
          "[state][queue][cache]") {
  Driver d;
  REQUIRE(d.enqueue(hashed("gen", "h1")).job_id == 1);
  generate(d, 1);
  EnqueueCommand other_hash = hashed("r1", "h2");
  EnqueueCommand other_role = hashed("r2", "h1");
  other_role.role = "architect";
  EnqueueCommand other_engine = hashed("r3", "h1");
  other_engine.engine_version = "e2";
  EnqueueCommand no_hash = hashed("r4", "h1");
  no_hash.content_hash.reset();
  EnqueueCommand other_address = hashed("r5", "h1");
  other_address.address = kOtherAddress;
  for (const EnqueueCommand& c :
       {other_hash, other_role, other_engine, no_hash, other_address}) {
    INFO(c.request_id);
    ApplyOutcome out = d.enqueue(c);
    CHECK(out.outcome == "queued");
    CHECK(out.job_id != 1);
    // Cancelled again so that no job is left to attach to.
    REQUIRE_FALSE(d.cancel(out.job_id).error);
  }
  CHECK(d.sm.counters().cache_hits == 0);

  // A hand-written update replaces the generated record: no hit any more.
  REQUIRE(d.enqueue(hashed("hit", "h1")).outcome == "cached");
  REQUIRE(d.update(make_context(kAddress, "by hand")).version == 2);
  CHECK_FALSE(d.sm.context_meta(kAddress));
  CHECK(d.enqueue(hashed("after update", "h1")).outcome == "queued");
}

TEST_CASE("without a content hash nothing is cached or attached",
          "[state][queue][cache][attach]") {
  Driver d;
  EnqueueCommand c = make_enqueue("gen");
  c.engine_version = "e1";
  REQUIRE(d.enqueue(c).job_id == 1);
  generate(d, 1);
  REQUIRE(d.sm.context_meta(kAddress).has_value());
  CHECK_FALSE(d.sm.context_meta(kAddress)->content_hash);
  // Same address, role and engine, both without a hash: equal content is
  // not proven, so the work is done again.
  c.request_id = "again";
  CHECK(d.enqueue(c).outcome == "queued");
  c.request_id = "third";
  ApplyOutcome third = d.enqueue(c);
  CHECK(third.outcome == "queued");
  CHECK(third.job_id == 3);
  CHECK(d.sm.counters().cache_hits == 0);
  CHECK(d.sm.counters().attached == 0);
}

TEST_CASE("a request for the same work attaches to the pending job",
          "[state][queue][attach]") {
  Driver d;
  REQUIRE(d.enqueue(hashed("first", "h1")).job_id == 1);
  ApplyOutcome attached = d.enqueue(hashed("second", "h1", "bob"));
  REQUIRE_FALSE(attached.error);
  CHECK(attached.outcome == "attached");
  CHECK(attached.job_id == 1);
  CHECK(topics(attached) == std::vector<std::string>{"request.attached"});
  CHECK(d.sm.counters().attached == 1);
  CHECK(d.sm.queued_tasks() == 1);
  CHECK(d.sm.job_for_request("bob", "second") == 1u);
  // A retry of the attached request is a duplicate of the same job.
  ApplyOutcome retry = d.enqueue(hashed("second", "h1", "bob"));
  CHECK(retry.outcome == "duplicate");
  CHECK(retry.job_id == 1);
  CHECK(d.sm.counters().attached == 1);

  // Active jobs attach too.
  REQUIRE(d.lease({{1, 1}}, 2000, 9000).leased.size() == 1);
  CHECK(d.enqueue(hashed("third", "h1")).job_id == 1);

  // Different role, different hash, or no hash: a job of its own.
  EnqueueCommand role = hashed("role", "h1");
  role.role = "architect";
  CHECK(d.enqueue(role).job_id == 2);
  CHECK(d.enqueue(hashed("hash", "h2")).job_id == 3);
  EnqueueCommand no_hash = make_enqueue("nohash");
  CHECK(d.enqueue(no_hash).job_id == 4);
  CHECK(d.enqueue(make_enqueue("nohash2")).job_id == 5);
  CHECK(d.sm.counters().attached == 2);

  // An ended job is not attached to (and a cancelled one has no context).
  REQUIRE_FALSE(d.cancel(1).error);
  ApplyOutcome fresh = d.enqueue(hashed("fourth", "h1"));
  CHECK(fresh.outcome == "queued");
  CHECK(fresh.job_id == 6);
}

TEST_CASE("the dedup steps run in order: duplicate, cached, attached",
          "[state][queue][dedup]") {
  Driver d;
  REQUIRE(d.enqueue(hashed("gen", "h1")).job_id == 1);
  generate(d, 1);
  // A new job for the same content while a context exists: cached wins
  // over a pending job (which the node would not create; crafted here by
  // another engine version).
  EnqueueCommand newer = hashed("newer", "h1");
  newer.engine_version = "e2";
  REQUIRE(d.enqueue(newer).job_id == 2);
  CHECK(d.enqueue(hashed("c", "h1")).outcome == "cached");
  newer.request_id = "newer again";
  CHECK(d.enqueue(newer).outcome == "attached");
  // The request id check comes first, whatever the content.
  CHECK(d.enqueue(hashed("gen", "other")).outcome == "duplicate");
}

TEST_CASE("a job waits for its dependencies and is queued when they end",
          "[state][queue][deps]") {
  Driver d;
  const std::string lib = address_of("lib.cc"), util = address_of("util.cc");
  const std::string dir = address_of("src");
  REQUIRE(d.enqueue(at("lib", lib)).job_id == 1);
  REQUIRE(d.enqueue(at("util", util)).job_id == 2);
  EnqueueCommand roll_up = at("dir", dir, {lib, util, lib});
  roll_up.time_ms = 1500;
  ApplyOutcome out = d.enqueue(roll_up);
  REQUIRE_FALSE(out.error);
  CHECK(out.outcome == "queued");
  CHECK(topics(out) == std::vector<std::string>{"job.waiting"});
  CHECK(out.events[0].attrs.at("waiting_on") == "2");
  const JobRecord* job = d.sm.job(3);
  REQUIRE(job != nullptr);
  CHECK(job->state == JobState::waiting);
  CHECK(job->waiting_on == std::vector<std::uint64_t>{1, 2});
  CHECK(d.sm.waiting_tasks() == 1);
  CHECK(queued_in_counts(d.sm) == 3);  // status shows waiting as queued

  // Not dispatched while waiting, however long it waits.
  CHECK(d.order(1'000'000) == std::vector<std::uint64_t>{1, 2});
  generate(d, 1, 5000);
  CHECK(d.sm.job(3)->state == JobState::waiting);
  CHECK(d.sm.job(3)->waiting_on == std::vector<std::uint64_t>{2});
  CHECK(d.order(1'000'000) == std::vector<std::uint64_t>{2});

  REQUIRE(d.lease({{2, 1}}, 6000, 9000).leased.size() == 1);
  ApplyOutcome done = d.complete(2, 1, make_context("", "util"), 7000);
  CHECK(topics(done) == std::vector<std::string>{
                            "context.stored", "job.completed", "job.released"});
  job = d.sm.job(3);
  CHECK(job->state == JobState::queued);
  CHECK(job->waiting_on.empty());
  CHECK(job->failed_dependencies.empty());
  CHECK(job->queued_since_ms == 7000);
  CHECK(d.order(7000) == std::vector<std::uint64_t>{3});
  CHECK(d.sm.waiting_tasks() == 0);
}

TEST_CASE("a dependency binds to the newest pending job, or a context",
          "[state][queue][deps]") {
  Driver d;
  const std::string lib = address_of("lib.cc");
  EnqueueCommand v1 = at("v1", lib);
  v1.content_hash = "h1";
  EnqueueCommand v2 = at("v2", lib);
  v2.content_hash = "h2";
  REQUIRE(d.enqueue(v1).job_id == 1);
  REQUIRE(d.enqueue(v2).job_id == 2);
  REQUIRE(d.enqueue(at("user", kAddress, {lib})).job_id == 3);
  CHECK(d.sm.job(3)->waiting_on == std::vector<std::uint64_t>{2});
  // An address with only a stored context is satisfied at once.
  REQUIRE(d.update(make_context(kOtherAddress, "b")).version == 1);
  ApplyOutcome satisfied = d.enqueue(at("user2", kAddress, {kOtherAddress}));
  CHECK(topics(satisfied) == std::vector<std::string>{"job.queued"});
  CHECK(d.sm.job(4)->state == JobState::queued);
  CHECK(d.sm.job(4)->depends_on == std::vector<std::string>{kOtherAddress});
}

TEST_CASE("depending on the job's own address is refused as a cycle",
          "[state][queue][deps]") {
  Driver d;
  REQUIRE(d.update(make_context(kOtherAddress, "b")).version == 1);
  ApplyOutcome out = d.enqueue(at("self", kAddress, {kOtherAddress, kAddress}));
  REQUIRE(out.error);
  CHECK(out.error->code == ErrorCode::bad_request);
  CHECK(out.error->field == "depends_on[1]");
  CHECK_THAT(out.error->reason, Catch::Contains("cycle"));
  CHECK(out.job_id == 0);
  CHECK_FALSE(d.sm.job_for_request("alice", "self"));
  CHECK(d.enqueue("next").job_id == 1);  // no id used
}

TEST_CASE("an unknown dependency is not_found", "[state][queue][deps]") {
  Driver d;
  REQUIRE(d.enqueue(at("lib", address_of("lib.cc"))).job_id == 1);
  REQUIRE_FALSE(d.cancel(1).error);  // ended without a context
  for (const std::string& missing :
       {address_of("nowhere"), address_of("lib.cc")}) {
    ApplyOutcome out =
        d.enqueue(at("user", kAddress, {kOtherAddress, missing}));
    REQUIRE(out.error);
    CHECK(out.error->code == ErrorCode::not_found);
    // The first unknown one is named.
    CHECK(out.error->field == "depends_on[0]");
  }
  REQUIRE(d.update(make_context(kOtherAddress, "b")).version == 1);
  ApplyOutcome second =
      d.enqueue(at("user", kAddress, {kOtherAddress, address_of("nowhere")}));
  CHECK(second.error->field == "depends_on[1]");
  CHECK_THAT(second.error->reason, Catch::Contains(address_of("nowhere")));
  CHECK(d.sm.queued_tasks() == 0);
}

TEST_CASE("a dependency that ends without a context degrades its dependants",
          "[state][queue][deps]") {
  const std::string a = address_of("a"), b = address_of("b"),
                    c = address_of("c"), dir = address_of("dir");
  Driver d(StateLimits{.job_attempts_max = 1});
  EnqueueCommand dead = at("a", a);
  EnqueueCommand late = at("b", b);
  late.deadline_ms = 3000;
  REQUIRE(d.enqueue(dead).job_id == 1);
  REQUIRE(d.enqueue(late).job_id == 2);
  REQUIRE(d.enqueue(at("c", c)).job_id == 3);
  REQUIRE(d.enqueue(at("dir", dir, {a, b, c})).job_id == 4);

  REQUIRE(d.lease({{1, 1}}, 2000, 9000).leased.size() == 1);
  ApplyOutcome dl = d.fail(1, 1, "parse error", 2500);
  CHECK(dl.ended.at(0).state == JobState::dead_lettered);
  CHECK(d.sm.job(4)->failed_dependencies == std::vector<std::string>{a});
  CHECK(d.sm.job(4)->state == JobState::waiting);
  REQUIRE(d.expire(3000).ended.size() == 1);  // b: deadline
  REQUIRE_FALSE(d.cancel(3).error);           // c: cancelled
  const JobRecord* job = d.sm.job(4);
  CHECK(job->state == JobState::queued);
  CHECK(job->failed_dependencies == std::vector<std::string>{a, b, c});
  CHECK(job->queued_since_ms == 2000);  // the cancel's time
  std::optional<Job> dispatch = d.sm.job_for_dispatch(4, 1, 30000);
  REQUIRE(dispatch);
  CHECK(dispatch->failed_dependencies == std::vector<std::string>{a, b, c});
  CHECK(dispatch->depends_on == std::vector<std::string>{a, b, c});
}

TEST_CASE("cancelling a waiting job detaches it from its dependencies",
          "[state][queue][deps][cancel]") {
  Driver d;
  const std::string lib = address_of("lib.cc");
  REQUIRE(d.enqueue(at("lib", lib)).job_id == 1);
  REQUIRE(d.enqueue(at("w", kAddress, {lib})).job_id == 2);
  ApplyOutcome out = d.cancel(2);
  REQUIRE_FALSE(out.error);
  CHECK(out.events.at(0).attrs.at("was") == "waiting");
  CHECK(d.sm.job(2)->state == JobState::cancelled);
  CHECK(d.sm.job(2)->waiting_on.empty());
  CHECK(d.sm.waiting_tasks() == 0);
  // The dependency's completion has no one left to release.
  generate(d, 1);
  CHECK(d.sm.job(2)->state == JobState::cancelled);
  CHECK(d.order(100000).empty());
}

TEST_CASE(
    "a dispatched job names its dependencies; filling gives their stored "
    "contexts, trimmed",
    "[state][queue][deps]") {
  const std::string lib = address_of("lib.cc");
  Driver d;
  EnqueueCommand dep = make_enqueue("lib");
  dep.address = lib;
  REQUIRE(d.enqueue(dep).job_id == 1);
  EnqueueCommand dir = make_enqueue("dir");
  dir.depends_on = {lib};
  REQUIRE(d.enqueue(dir).job_id == 2);
  REQUIRE(d.lease({{1, 1}}, 1500, 9000).leased.size() == 1);
  Context done = make_context(lib, std::string(1000, 's'));
  done.symbols = {Symbol{"main", "function", 1}};
  REQUIRE_FALSE(d.complete(1, 1, done, 2000).error);
  REQUIRE(d.sm.job(2)->state == JobState::queued);

  std::optional<Job> wire = d.sm.job_for_dispatch(2, 1, 30000);
  REQUIRE(wire);
  CHECK(wire->depends_on == std::vector<std::string>{lib});
  // The contexts are the node's to read, off its thread.
  CHECK(wire->dependencies.empty());
  context::fill_dependencies(
      *wire, [&](const std::string& address) { return d.sm.context(address); });
  REQUIRE(wire->dependencies.size() == 1);
  CHECK(wire->dependencies[0].address == lib);
  CHECK(wire->dependencies[0].symbols.empty());
  CHECK(wire->dependencies[0].summary.size() == 256);
  CHECK(wire->failed_dependencies.empty());
}

}  // namespace
}  // namespace slurp::state
