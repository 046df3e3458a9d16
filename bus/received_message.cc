#include "bus/received_message.h"

#include <algorithm>

#include "bus/zap_properties.h"

namespace slurp::bus {

namespace {

// The identity slurp's ZAP handler gave the connection a frame came on.
// Read from the last frame: it always came off the wire, whereas a ROUTER
// makes up the routing-id frame itself. Without this process's vouch, the
// properties may be the peer's own claims (zap_properties.h): ignore them.
void read_identity(zmq::message_t& frame, ReceivedMessage& message) {
  const char* vouch = zmq_msg_gets(frame.handle(), zap_vouch_property);
  if (vouch == nullptr || zap_vouch_token() != vouch) return;
  if (const char* user_id = zmq_msg_gets(frame.handle(), "User-Id")) {
    message.user_id = user_id;
  }
  if (const char* role = zmq_msg_gets(frame.handle(), zap_role_property)) {
    message.role = role_from_name(role);
  }
  if (message.user_id.empty()) message.role.reset();
}

// Reads and drops the remaining parts of the current message.
void discard_rest(zmq::socket_t& socket, bool more) {
  while (more) {
    zmq::message_t frame;
    // All parts of a message are delivered together, so this cannot
    // block; dontwait makes sure of it.
    if (!socket.recv(frame, zmq::recv_flags::dontwait)) return;
    more = frame.more();
  }
}

}  // namespace

std::optional<Result<ReceivedMessage>> receive_message(zmq::socket_t& socket,
                                                       std::size_t frames_max) {
  ReceivedMessage message;
  bool more = true;
  while (more) {
    zmq::message_t frame;
    if (!socket.recv(frame, zmq::recv_flags::dontwait)) {
      if (message.frames.empty()) return std::nullopt;
      return Result<ReceivedMessage>(make_error(
          ErrorCode::internal, "message ended without its last frame"));
    }
    more = frame.more();
    std::optional<Error> broken;
    if (frame.size() > limits::message_bytes_max) {
      broken = make_error(ErrorCode::too_large,
                          "frame of " + std::to_string(frame.size()) +
                              " bytes, limit is " +
                              std::to_string(limits::message_bytes_max));
    } else if (message.frames.size() == frames_max) {
      broken =
          make_error(ErrorCode::too_large,
                     "more than " + std::to_string(frames_max) + " frames");
    }
    if (broken) {
      read_identity(frame, message);
      discard_rest(socket, more);
      message.frames.resize(std::min<std::size_t>(message.frames.size(), 1));
      message.rejected = std::move(broken);
      return Result<ReceivedMessage>(std::move(message));
    }
    message.frames.push_back(std::move(frame));
  }
  read_identity(message.frames.back(), message);
  return Result<ReceivedMessage>(std::move(message));
}

}  // namespace slurp::bus
