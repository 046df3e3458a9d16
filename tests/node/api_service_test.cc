#include "src/node/api_service.h"

#include <catch2/catch.hpp>

namespace slurp::node {
namespace {

TEST_CASE("ping answers with the authenticated identity", "[api]") {
  ApiService api("n1");
  Message reply = api.handle(Peer{"alice", Role::developer}, Ping{42}, 1000);
  const auto& pong = std::get<Pong>(reply);
  CHECK(pong.id == 42);
  CHECK(pong.node == "n1");
  CHECK(pong.peer_name == "alice");
  CHECK(pong.peer_role == "developer");
  CHECK(pong.time_ms == 1000);
}

TEST_CASE("a standalone node reports itself and no leader", "[api]") {
  ApiService api("n1");
  Message reply =
      api.handle(Peer{"olive", Role::observer}, StatusRequest{7, false}, 0);
  const auto& status = std::get<StatusReply>(reply);
  CHECK(status.id == 7);
  CHECK(status.node == "n1");
  CHECK_FALSE(status.leader.has_value());
  REQUIRE(status.members.size() == 1);
  CHECK(status.members[0].node == "n1");
}

TEST_CASE("requests a standalone node cannot serve are unavailable", "[api]") {
  ApiService api("n1");
  Generate generate;
  generate.id = 9;
  Message reply = api.handle(Peer{"alice", Role::developer}, generate, 0);
  const auto& error = std::get<ErrorReply>(reply);
  CHECK(error.id == 9);
  CHECK(error.code == static_cast<std::uint64_t>(ErrorCode::unavailable));
  CHECK(error.name == "unavailable");
}

}  // namespace
}  // namespace slurp::node
