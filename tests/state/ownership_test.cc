// The ownership rules (src/state/state_machine.h, "Ownership"): who may
// cancel a job and who may overwrite an address's context by hand. Decided
// when the command applies, so every node decides alike.
#include <catch2/catch.hpp>
#include <string>

#include "protocol/record_codec.h"
#include "src/state/snapshot_format.h"
#include "src/state/state_machine.h"
#include "tests/state/state_driver.h"

namespace slurp::state {
namespace {

using namespace testing;

const std::string kDeveloper = "developer";
const std::string kAdmin = "admin";

EnqueueCommand verified(std::string request_id, std::string requester) {
  EnqueueCommand c = make_enqueue(std::move(request_id), std::move(requester));
  c.content_hash = std::string(64, 'a');
  c.content_hash_verified = true;
  return c;
}

// Runs queued job `job_id` to completion with a well-formed context.
void complete(Driver& d, std::uint64_t job_id) {
  REQUIRE(d.lease({{job_id, d.sm.job(job_id)->attempts + 1}}, 4000, 9000)
              .leased.size() == 1);
  Context c = make_context("", "generated");
  c.content_hash = std::string(64, 'b');
  REQUIRE(d.complete(job_id, d.sm.job(job_id)->attempts, c).ended.size() == 1);
}

TEST_CASE("cancel: the job's requester or an admin, no one else",
          "[state][ownership]") {
  Driver d;
  REQUIRE(d.enqueue("a1", "alice").job_id == 1);
  REQUIRE(d.enqueue("a2", "alice").job_id == 2);

  ApplyOutcome bob = d.cancel(1, "bob", 2000, kDeveloper);
  REQUIRE(bob.error);
  CHECK(bob.error->code == ErrorCode::forbidden);
  CHECK(bob.error->field == "job_id");
  CHECK_THAT(bob.error->reason,
             Catch::Contains("job 1 belongs to another requester"));
  CHECK(bob.events.empty());
  CHECK(d.sm.job(1)->state == JobState::queued);
  // The leader's early check says the same before proposing.
  REQUIRE(d.sm.check_cancel(CancelCommand{1, "bob", 2000, kDeveloper}));
  CHECK_FALSE(d.sm.check_cancel(CancelCommand{1, "alice", 2000, kDeveloper}));

  ApplyOutcome own = d.cancel(1, "alice", 2000, kDeveloper);
  REQUIRE_FALSE(own.error);
  CHECK(own.job_state == JobState::cancelled);
  // An admin may cancel anyone's job.
  ApplyOutcome admin = d.cancel(2, "root", 2000, kAdmin);
  REQUIRE_FALSE(admin.error);
  CHECK(d.sm.job(2)->state == JobState::cancelled);
  // Unknown jobs stay not_found for everyone (the rule needs a job).
  CHECK(d.cancel(99, "bob", 2000, kDeveloper).error->code ==
        ErrorCode::not_found);
}

TEST_CASE("cancel: a job other requesters attached to is the admin's to end",
          "[state][ownership]") {
  Driver d;
  REQUIRE(d.enqueue(verified("a1", "alice")).job_id == 1);
  // Alice attaching again to her own job does not share it.
  REQUIRE(d.enqueue(verified("a2", "alice")).outcome == "attached");
  CHECK(d.sm.job(1)->attached_others == 0);
  REQUIRE(d.enqueue(verified("b1", "bob")).outcome == "attached");
  CHECK(d.sm.job(1)->attached_others == 1);

  ApplyOutcome alice = d.cancel(1, "alice", 2000, kDeveloper);
  REQUIRE(alice.error);
  CHECK(alice.error->code == ErrorCode::forbidden);
  CHECK_THAT(alice.error->reason,
             Catch::Contains("also answers 1 request(s) of other "
                             "requesters") &&
                 Catch::Contains("admin"));
  // Bob attached but did not create it.
  CHECK(d.cancel(1, "bob", 2000, kDeveloper).error->code ==
        ErrorCode::forbidden);
  CHECK(d.sm.job(1)->state == JobState::queued);
  REQUIRE_FALSE(d.cancel(1, "root", 2000, kAdmin).error);
  CHECK(d.sm.job(1)->state == JobState::cancelled);
}

TEST_CASE("cancel and update written before the rule apply unchecked",
          "[state][ownership][compatibility]") {
  Driver d;
  REQUIRE(d.enqueue("a1", "alice").job_id == 1);
  // No requester_role: what an old leader proposed, replayed as it was.
  REQUIRE_FALSE(d.cancel(1, "bob").error);
  REQUIRE_FALSE(d.update(make_context(kAddress, "alice's"), "alice").error);
  REQUIRE_FALSE(d.update(make_context(kAddress, "bob's"), "bob").error);
  CHECK(d.sm.context(kAddress)->summary == "bob's");
}

TEST_CASE("update_context: the address's owner or an admin",
          "[state][ownership]") {
  Driver d;
  // A new address: anyone may write it, and becomes its owner.
  ApplyOutcome first =
      d.update(make_context(kAddress, "alice's notes"), "alice", kDeveloper);
  REQUIRE_FALSE(first.error);
  CHECK(d.sm.context_owner(kAddress) == "alice");

  ApplyOutcome bob =
      d.update(make_context(kAddress, "bob was here"), "bob", kDeveloper);
  REQUIRE(bob.error);
  CHECK(bob.error->code == ErrorCode::forbidden);
  CHECK(bob.error->field == "context.address");
  CHECK_THAT(bob.error->reason, Catch::Contains("'alice'"));
  CHECK(bob.events.empty());
  CHECK(d.sm.context(kAddress)->summary == "alice's notes");
  CHECK(d.sm.context(kAddress)->version == 1);
  REQUIRE(d.sm.check_update(UpdateContextCommand{make_context(kAddress, "x"),
                                                 "bob", 3000, kDeveloper}));

  REQUIRE_FALSE(
      d.update(make_context(kAddress, "alice again"), "alice", kDeveloper)
          .error);
  CHECK(d.sm.context(kAddress)->version == 2);
  // An admin may overwrite; the address stays alice's.
  REQUIRE_FALSE(
      d.update(make_context(kAddress, "fixed by ops"), "ops", kAdmin).error);
  CHECK(d.sm.context(kAddress)->summary == "fixed by ops");
  CHECK(d.sm.context_owner(kAddress) == "alice");
  CHECK(
      d.update(make_context(kAddress, "bob"), "bob", kDeveloper).error->code ==
      ErrorCode::forbidden);
}

TEST_CASE("a generated address belongs to its first job's requester",
          "[state][ownership]") {
  Driver d;
  REQUIRE(d.enqueue("a1", "alice").job_id == 1);
  complete(d, 1);
  CHECK(d.sm.context_owner(kAddress) == "alice");
  CHECK(
      d.update(make_context(kAddress, "bob"), "bob", kDeveloper).error->code ==
      ErrorCode::forbidden);
  // Bob may generate the address (the cluster analyses his bytes), but
  // that does not make it his: no generate-then-overwrite.
  REQUIRE(d.enqueue("b1", "bob").job_id == 2);
  complete(d, 2);
  CHECK(d.sm.context(kAddress)->version == 2);
  CHECK(d.sm.context_owner(kAddress) == "alice");
  CHECK(
      d.update(make_context(kAddress, "bob"), "bob", kDeveloper).error->code ==
      ErrorCode::forbidden);
  REQUIRE_FALSE(
      d.update(make_context(kAddress, "alice"), "alice", kDeveloper).error);
}

TEST_CASE("a context from before ownership is unowned: the next writer's",
          "[state][ownership][compatibility]") {
  Driver d;
  REQUIRE_FALSE(d.update(make_context(kAddress, "old"), "bob").error);
  // As restored from a snapshot written before contexts had an owner.
  Result<SnapshotParts> data = decode_snapshot(d.sm.snapshot());
  REQUIRE(data);
  REQUIRE(data->contexts.size() == 1);
  CHECK(data->contexts[0].owner == "bob");
  data->contexts[0].owner.clear();
  StateMachine restored;
  REQUIRE(restored.restore(encode_snapshot(*data)).ok());
  CHECK(restored.context_owner(kAddress).empty());
  REQUIRE_FALSE(restored.check_update(UpdateContextCommand{
      make_context(kAddress, "mine now"), "alice", 3000, kDeveloper}));
  ApplyOutcome taken = restored.apply(LogEntry{
      restored.applied_index() + 1, 1,
      static_cast<std::uint64_t>(CommandKind::update_context),
      encode_record(UpdateContextCommand{make_context(kAddress, "mine now"),
                                         "alice", 3000, kDeveloper})});
  REQUIRE_FALSE(taken.error);
  CHECK(restored.context_owner(kAddress) == "alice");
}

}  // namespace
}  // namespace slurp::state
