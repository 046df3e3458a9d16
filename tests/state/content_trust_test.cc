// Which content hashes the queue trusts (src/state/state_machine.h, rules 2
// and 3; issue 12 item 7, cache poisoning): the cache keys on a hash the
// cluster computed, attaching never lets a claim stand for other bytes,
// and a worker's result that breaks the value rules is not stored.
#include <catch2/catch.hpp>
#include <string>

#include "protocol/record_codec.h"
#include "src/state/snapshot_format.h"
#include "src/state/state_machine.h"
#include "tests/state/state_driver.h"

namespace slurp::state {
namespace {

using namespace testing;

const std::string kReal(64, '1');  // the hash of the real file's bytes
const std::string kEvil(64, 'e');  // the hash of an attacker's bytes

// Inline content: the leader hashed it (verified).
EnqueueCommand inline_request(std::string request_id, std::string requester,
                              const std::string& hash) {
  EnqueueCommand c = make_enqueue(std::move(request_id), std::move(requester));
  c.content = Bytes{1, 2, 3};
  c.content_hash = hash;
  c.content_hash_verified = true;
  c.engine_version = "e1";
  return c;
}

// file_path with a hash the requester claims (not verified).
EnqueueCommand path_request(std::string request_id, std::string requester,
                            const std::string& claimed, std::string path) {
  EnqueueCommand c = make_enqueue(std::move(request_id), std::move(requester));
  c.file_path = std::move(path);
  c.content_hash = claimed;
  c.engine_version = "e1";
  return c;
}

// A worker's context; `hash` is what the worker computed from its bytes.
Context worker_context(const std::string& hash, std::string summary) {
  Context c = make_context("", std::move(summary));
  c.content_hash = hash;
  c.engine_version = "e1";
  return c;
}

void run(Driver& d, std::uint64_t job_id, const Context& context) {
  REQUIRE(d.lease({{job_id, d.sm.job(job_id)->attempts + 1}}, 4000, 9000)
              .leased.size() == 1);
  REQUIRE(
      d.complete(job_id, d.sm.job(job_id)->attempts, context).ended.size() ==
      1);
}

TEST_CASE("a claimed hash is not the cache key: the worker's hash is",
          "[state][trust][cache]") {
  Driver d;
  // Mallory names some file of hers but claims the real file's hash.
  REQUIRE(
      d.enqueue(path_request("m1", "mallory", kReal, "/srv/evil.c")).job_id ==
      1);
  // The worker hashed what it read: the evil bytes.
  run(d, 1, worker_context(kEvil, "evil"));
  const std::optional<ContextMeta> meta = d.sm.context_meta(kAddress);
  REQUIRE(meta.has_value());
  CHECK(meta->content_hash == kEvil);
  CHECK(meta->content_hash_verified);
  // Alice sends the real file: no hit on mallory's context.
  ApplyOutcome alice = d.enqueue(inline_request("a1", "alice", kReal));
  REQUIRE_FALSE(alice.error);
  CHECK(alice.outcome == "queued");
  CHECK(alice.job_id == 2);
  // A request for the evil bytes themselves is honestly cached.
  CHECK(d.enqueue(inline_request("b1", "bob", kEvil)).outcome == "cached");
}

TEST_CASE("the poisoning sequence ends with the honest context",
          "[state][trust][cache]") {
  Driver d;
  // Evil bytes with their own (honest) hash: stored, keyed by kEvil.
  REQUIRE(d.enqueue(inline_request("m1", "mallory", kEvil)).job_id == 1);
  run(d, 1, worker_context(kEvil, "evil"));
  ApplyOutcome alice = d.enqueue(inline_request("a1", "alice", kReal));
  REQUIRE(alice.outcome == "queued");
  run(d, alice.job_id, worker_context(kReal, "real"));
  CHECK(d.sm.context(kAddress)->summary == "real");
  CHECK(d.sm.context_meta(kAddress)->content_hash == kReal);
}

TEST_CASE("a verified job's hash is the key even if a worker says otherwise",
          "[state][trust][cache]") {
  Driver d;
  REQUIRE(d.enqueue(inline_request("a1", "alice", kReal)).job_id == 1);
  run(d, 1, worker_context(std::string(64, '0'), "real"));
  CHECK(d.sm.context_meta(kAddress)->content_hash == kReal);
  CHECK(d.enqueue(inline_request("b1", "bob", kReal)).outcome == "cached");
}

TEST_CASE("no hash from the worker and none verified: never a cache hit",
          "[state][trust][cache]") {
  Driver d;
  REQUIRE(d.enqueue(path_request("a1", "alice", kReal, "/srv/a.c")).job_id ==
          1);
  run(d, 1, worker_context("", "no hash"));
  const std::optional<ContextMeta> meta = d.sm.context_meta(kAddress);
  REQUIRE(meta.has_value());
  CHECK_FALSE(meta->content_hash);
  CHECK_FALSE(meta->content_hash_verified);
  CHECK(d.enqueue(path_request("a2", "alice", kReal, "/srv/a.c")).outcome ==
        "queued");
}

// A meta as stored before content_hash_verified existed: the hash may
// have been a requester's claim.
struct OldMeta {
  std::optional<std::string> content_hash;
  std::string role, engine_version;
  std::uint64_t job_id = 0;
  template <class V>
  void fields(V& v) {
    v.opt("content_hash", content_hash);
    v.req("role", role);
    v.req("engine_version", engine_version);
    v.req("job_id", job_id);
  }
};
// A context record as stored before contexts had an owner.
struct OldStored {
  Context context;
  template <class V>
  void fields(V& v) {
    v.req("context", context);
  }
};
// The fields a job record had before content_hash_verified and
// attached_others.
struct OldJobFields {
  std::uint64_t job_id = 1;
  std::string requester = "a", role = "r", address = "x";
  Priority priority = Priority::normal;
  JobState state = JobState::queued;
  std::uint64_t accepted_ms = 1;
  template <class V>
  void fields(V& v) {
    v.req("job_id", job_id);
    v.req("requester", requester);
    v.req("role", role);
    v.req("address", address);
    v.req("priority", priority);
    v.req("state", state);
    v.req("accepted_ms", accepted_ms);
  }
};

TEST_CASE("records from before the rules read as trusted for nothing",
          "[state][trust][compatibility]") {
  Result<ContextMeta> meta =
      decode_record<ContextMeta>(encode_record(OldMeta{kReal, "r", "e1", 1}));
  REQUIRE(meta);
  CHECK(meta->content_hash == kReal);
  CHECK_FALSE(meta->content_hash_verified);
  // And a context record from then has no owner.
  Result<StoredContext> stored = decode_record<StoredContext>(
      encode_record(OldStored{make_context(kAddress, "old")}));
  REQUIRE(stored);
  CHECK(stored->owner.empty());
  // Jobs from then are unverified and attached to by no one else.
  Result<JobRecord> job =
      decode_record<JobRecord>(encode_record(OldJobFields{}));
  REQUIRE(job);
  CHECK_FALSE(job->content_hash_verified);
  CHECK(job->attached_others == 0);
}

TEST_CASE("a meta from before the rule never answers cached",
          "[state][trust][cache][compatibility]") {
  Driver d;
  REQUIRE(d.enqueue(inline_request("a1", "alice", kReal)).job_id == 1);
  run(d, 1, worker_context(kReal, "real"));
  Result<SnapshotParts> data = decode_snapshot(d.sm.snapshot());
  REQUIRE(data);
  REQUIRE(data->contexts.at(0).meta);
  data->contexts[0].meta->content_hash_verified = false;
  StateMachine old;
  REQUIRE(old.restore(encode_snapshot(*data)).ok());
  ApplyOutcome again =
      old.apply(LogEntry{old.applied_index() + 1, 1,
                         static_cast<std::uint64_t>(CommandKind::enqueue),
                         encode_record(inline_request("b1", "bob", kReal))});
  CHECK(again.outcome == "queued");
}

TEST_CASE("attach: never to bytes a claim may misdescribe",
          "[state][trust][attach]") {
  Driver d;
  // An open job whose hash is only claimed (mallory's file_path).
  REQUIRE(
      d.enqueue(path_request("m1", "mallory", kReal, "/srv/evil.c")).job_id ==
      1);
  // Alice's verified real bytes do not attach to it.
  ApplyOutcome alice = d.enqueue(inline_request("a1", "alice", kReal));
  CHECK(alice.outcome == "queued");
  CHECK(alice.job_id == 2);
  // Nor does a claim naming another file.
  CHECK(d.enqueue(path_request("b1", "bob", kReal, "/srv/real.c")).outcome ==
        "attached");  // to job 2: verified bytes with the claimed hash
  CHECK(d.sm.job_for_request("bob", "b1") == 2u);

  Driver e;
  REQUIRE(
      e.enqueue(path_request("m1", "mallory", kReal, "/srv/evil.c")).job_id ==
      1);
  ApplyOutcome other_file =
      e.enqueue(path_request("b1", "bob", kReal, "/srv/real.c"));
  CHECK(other_file.outcome == "queued");
  // The same file with the same claim: the worker would read the same
  // bytes for either request, so sharing the work is honest.
  ApplyOutcome same_file =
      e.enqueue(path_request("c1", "carol", kReal, "/srv/evil.c"));
  CHECK(same_file.outcome == "attached");
  CHECK(same_file.job_id == 1);
}

TEST_CASE("only a verified hash goes to the worker", "[state][trust]") {
  Driver d;
  REQUIRE(d.enqueue(inline_request("a1", "alice", kReal)).job_id == 1);
  EnqueueCommand claimed = path_request("b1", "bob", kEvil, "/srv/b.c");
  claimed.address = kOtherAddress;
  REQUIRE(d.enqueue(claimed).job_id == 2);
  CHECK(d.sm.job_for_dispatch(1, 1, 30000)->content_hash == kReal);
  CHECK_FALSE(d.sm.job_for_dispatch(2, 1, 30000)->content_hash);
}

TEST_CASE("a result that breaks the value rules fails the attempt",
          "[state][trust][results]") {
  Driver d;
  REQUIRE(d.enqueue("a1", "alice").job_id == 1);
  REQUIRE(d.lease({{1, 1}}, 4000, 9000).leased.size() == 1);
  Context bad = worker_context(kReal, "overconfident");
  bad.confidence = 7.5;
  ApplyOutcome out = d.complete(1, 1, bad);
  REQUIRE_FALSE(out.error);
  CHECK(out.ended.empty());
  CHECK_FALSE(d.sm.context(kAddress));
  CHECK(topics(out) == std::vector<std::string>{"job.retry"});
  const JobRecord* job = d.sm.job(1);
  CHECK(job->state == JobState::queued);
  REQUIRE(job->error);
  CHECK_THAT(*job->error, Catch::Contains("result was refused") &&
                              Catch::Contains("context.confidence"));

  REQUIRE(d.lease({{1, 2}}, 6000, 9000).leased.size() == 1);
  Context bad_hash = worker_context(std::string(1 << 20, 'x'), "huge hash");
  ApplyOutcome refused_hash = d.complete(1, 2, bad_hash, 6001);
  CHECK(refused_hash.ended.empty());
  CHECK_THAT(*d.sm.job(1)->error, Catch::Contains("context.content_hash") &&
                                      Catch::Contains("got 1048576 bytes"));
  // A well-formed result still completes it.
  REQUIRE(d.lease({{1, 3}}, 7000, 9000).leased.size() == 1);
  Context good = worker_context(kReal, "fine");
  good.confidence = 1.0;
  CHECK(d.complete(1, 3, good, 7001).ended.size() == 1);
  CHECK(d.sm.context(kAddress)->summary == "fine");
}

}  // namespace
}  // namespace slurp::state
