// Each socket's own types: what the api socket, the peer DEALER and the
// results PULL may carry, sorted from a decoded Message.
#include "protocol/socket_messages.h"

#include <catch2/catch.hpp>

namespace slurp {

TEST_CASE(
    "the api socket sorts client requests, consensus, forwards and "
    "results to their handlers",
    "[socket_messages]") {
  auto ping = as_api_message(Message(Ping{7}));
  REQUIRE(ping);
  REQUIRE(std::holds_alternative<ClientRequestMessage>(*ping));
  CHECK(std::get<Ping>(std::get<ClientRequestMessage>(*ping)).id == 7);

  Vote vote;
  vote.candidate = "n2";
  auto consensus = as_api_message(Message(vote));
  REQUIRE(consensus);
  REQUIRE(std::holds_alternative<ConsensusMessage>(*consensus));
  CHECK(sender_of(std::get<ConsensusMessage>(*consensus)) == "n2");

  CHECK(std::holds_alternative<Forward>(*as_api_message(Message(Forward{}))));
  CHECK(std::holds_alternative<ResultBatch>(
      *as_api_message(Message(ResultBatch{}))));
}

TEST_CASE("the api socket refuses what travels on other sockets",
          "[socket_messages]") {
  auto reply = as_api_message(Message(ForwardReply{}));
  REQUIRE_FALSE(reply);
  CHECK(reply.error().code == ErrorCode::bad_request);
  CHECK(reply.error().field == "type");
  CHECK(reply.error().reason ==
        "'forward_reply' is not accepted on the api socket");
  CHECK_FALSE(as_api_message(Message(JobBatch{})));
  CHECK_FALSE(as_api_message(Message(Pong{})));
  CHECK_FALSE(as_api_message(Message(Event{})));
}

TEST_CASE("a forward carries only a client request", "[socket_messages]") {
  CHECK(as_client_request(Message(GetContext{})));
  for (const Message& m : {Message(Vote{}), Message(Forward{}),
                           Message(ResultBatch{}), Message(TimeoutNow{})}) {
    auto inner = as_client_request(m);
    REQUIRE_FALSE(inner);
    CHECK(inner.error().code == ErrorCode::bad_request);
  }
}

TEST_CASE("a single-type socket takes its type only", "[socket_messages]") {
  ForwardReply fr;
  fr.forward_id = 3;
  auto only = as_only<ForwardReply>(Message(fr), "peer DEALER");
  REQUIRE(only);
  CHECK(only->forward_id == 3);
  auto wrong = as_only<ForwardReply>(Message(Ping{}), "peer DEALER");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().reason ==
        "'ping' is not carried on the peer DEALER "
        "socket");
  CHECK(to_message(ClientRequestMessage(Ping{4})) == Message(Ping{4}));
}

TEST_CASE("sender_of names the field each consensus message uses",
          "[socket_messages]") {
  VoteReply vr;
  vr.voter = "n3";
  Append a;
  a.leader = "n1";
  AppendReply ar;
  ar.follower = "n2";
  SnapshotChunk sc;
  sc.leader = "n4";
  SnapshotReply sr;
  sr.follower = "n5";
  TimeoutNow tn;
  tn.leader = "n6";
  CHECK(sender_of(ConsensusMessage(vr)) == "n3");
  CHECK(sender_of(ConsensusMessage(a)) == "n1");
  CHECK(sender_of(ConsensusMessage(ar)) == "n2");
  CHECK(sender_of(ConsensusMessage(sc)) == "n4");
  CHECK(sender_of(ConsensusMessage(sr)) == "n5");
  CHECK(sender_of(ConsensusMessage(tn)) == "n6");
}

}  // namespace slurp
