#include "bus/received_message.h"

#include <catch2/catch.hpp>

#include "curve_fixture.h"

namespace slurp::bus::testing {
namespace {

void send_frames(zmq::socket_t& socket, int count, const std::string& text) {
  for (int i = 0; i < count; ++i) {
    socket.send(
        zmq::buffer(text + std::to_string(i)),
        i + 1 < count ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

TEST_CASE_METHOD(CurveServerFixture,
                 "CURVE (e): too many frames is too_large, and the next "
                 "message still arrives whole",
                 "[bus][curve][receive]") {
  zmq::socket_t client = this->client(alice);
  client.connect(endpoint);
  send_frames(client, 6, "flood");  // + routing id = 7 frames at the server
  send_frames(client, 2, "ok");

  auto flood = wait_for_message(server, 4);
  REQUIRE(flood);
  REQUIRE(flood->ok());
  REQUIRE(flood->value().rejected);
  CHECK(flood->value().rejected->code == ErrorCode::too_large);
  CHECK_THAT(flood->value().rejected->describe(),
             Catch::Contains("more than 4 frames"));
  // The routing id survives, so the server can answer the sender.
  REQUIRE(flood->value().frames.size() == 1);
  CHECK(flood->value().user_id == "alice");

  auto next = wait_for_message(server, 4);
  REQUIRE(next);
  REQUIRE(next->ok());
  const ReceivedMessage& message = next->value();
  REQUIRE(message.frames.size() == 3);
  CHECK(frame_text(message.frames[1]) == "ok0");
  CHECK(frame_text(message.frames[2]) == "ok1");
  CHECK(message.user_id == "alice");
  CHECK(message.role == Role::admin);
  CHECK_FALSE(receive_message(server, 4));
}

TEST_CASE(
    "receive: exactly frames_max frames is fine; nothing ready is "
    "nullopt",
    "[bus][receive]") {
  zmq::context_t context;
  zmq::socket_t pull = make_socket(context, zmq::socket_type::pull, Insecure{});
  std::string endpoint = bind_ephemeral(pull);
  zmq::socket_t push = make_socket(context, zmq::socket_type::push, Insecure{});
  push.connect(endpoint);
  CHECK_FALSE(receive_message(pull, 3));
  send_frames(push, 3, "f");
  auto received = wait_for_message(pull, 3);
  REQUIRE(received);
  REQUIRE(received->ok());
  CHECK(received->value().frames.size() == 3);
  // Plaintext without ZAP: no identity at all.
  CHECK(received->value().user_id.empty());
  CHECK_FALSE(received->value().role);
}

TEST_CASE(
    "receive: a frame over message_bytes_max is too_large, and the "
    "socket stays in step",
    "[bus][receive]") {
  // maxmsgsize stops such frames on TCP; inproc has no such check, so this
  // is where receive_message's own limit is the only guard.
  zmq::context_t context;
  zmq::socket_t pull(context, zmq::socket_type::pull);
  pull.bind("inproc://big");
  zmq::socket_t push(context, zmq::socket_type::push);
  push.connect("inproc://big");
  push.send(zmq::str_buffer("head"), zmq::send_flags::sndmore);
  push.send(zmq::buffer(std::string(limits::message_bytes_max + 1, 'x')),
            zmq::send_flags::sndmore);
  push.send(zmq::str_buffer("tail"));
  push.send(zmq::str_buffer("next"));
  auto big = wait_for_message(pull);
  REQUIRE(big);
  REQUIRE(big->ok());
  REQUIRE(big->value().rejected);
  CHECK(big->value().rejected->code == ErrorCode::too_large);
  REQUIRE(big->value().frames.size() == 1);
  CHECK(frame_text(big->value().frames[0]) == "head");
  auto next = wait_for_message(pull);
  REQUIRE(next);
  REQUIRE(next->ok());
  REQUIRE(next->value().frames.size() == 1);
  CHECK(frame_text(next->value().frames[0]) == "next");
}

}  // namespace
}  // namespace slurp::bus::testing
