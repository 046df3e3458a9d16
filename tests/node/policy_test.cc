// Authorization by role (README.md "Roles"): the role comes from ZAP, the
// table decides, and nothing in the message can change the answer.
#include "src/security/policy.h"

#include <catch2/catch.hpp>

namespace slurp::security {
namespace {

TEST_CASE("every role may ping and read status", "[policy]") {
  for (Role role : {Role::observer, Role::developer, Role::worker, Role::node,
                    Role::admin}) {
    CHECK(authorize(role, Ping{1}).ok());
    CHECK(authorize(role, StatusRequest{1, false}).ok());
  }
}

TEST_CASE("only developers and admins submit work", "[policy]") {
  Generate generate;
  CHECK(authorize(Role::developer, generate).ok());
  CHECK(authorize(Role::admin, generate).ok());
  for (Role role : {Role::observer, Role::worker, Role::node}) {
    auto s = authorize(role, generate);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == ErrorCode::forbidden);
  }
  CHECK(authorize(Role::observer, Cancel{}).error().code ==
        ErrorCode::forbidden);
}

TEST_CASE("consensus RPCs are for nodes only", "[policy]") {
  for (Role role :
       {Role::observer, Role::developer, Role::worker, Role::admin}) {
    CHECK(authorize(role, Vote{}).error().code == ErrorCode::forbidden);
    CHECK(authorize(role, Append{}).error().code == ErrorCode::forbidden);
    CHECK(authorize(role, Forward{}).error().code == ErrorCode::forbidden);
  }
  CHECK(authorize(Role::node, Vote{}).ok());
  CHECK(authorize(Role::node, SnapshotChunk{}).ok());
}

TEST_CASE("results come from workers or relaying nodes", "[policy]") {
  CHECK(authorize(Role::worker, ResultBatch{}).ok());
  CHECK(authorize(Role::node, ResultBatch{}).ok());
  CHECK(authorize(Role::developer, ResultBatch{}).error().code ==
        ErrorCode::forbidden);
}

TEST_CASE("only nodes anchor audit heads", "[policy][audit_anchor]") {
  CHECK(authorize(Role::node, AuditAnchorRequest{}).ok());
  for (Role role :
       {Role::observer, Role::developer, Role::worker, Role::admin}) {
    CHECK(authorize(role, AuditAnchorRequest{}).error().code ==
          ErrorCode::forbidden);
  }
  CHECK(authorize(Role::node, AuditAnchorReply{}).error().code ==
        ErrorCode::bad_request);
}

TEST_CASE("replies and events are never requests", "[policy]") {
  for (Role role : {Role::observer, Role::admin, Role::node}) {
    auto s = authorize(role, Pong{});
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == ErrorCode::bad_request);
    CHECK(authorize(role, Event{}).error().code == ErrorCode::bad_request);
    CHECK(authorize(role, JobBatch{}).error().code == ErrorCode::bad_request);
  }
}

}  // namespace
}  // namespace slurp::security
