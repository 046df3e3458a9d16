// Receiving one whole multipart message with its authenticated identity.
// The identity is what this process's ZAP handler said about the connection
// the message came on (zmq_msg_gets "User-Id" and "Role", trusted only with
// the handler's vouch: see zap_properties.h), never anything the message or
// the peer's handshake claims, so a peer cannot give itself a role.
// Call from the thread that owns the socket.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "protocol/limits.h"
#include "protocol/result.h"
#include "protocol/role.h"

namespace slurp::bus {

struct ReceivedMessage {
  std::vector<zmq::message_t> frames;  // a ROUTER's routing id is frames[0]
  std::string user_id;                 // empty: not authenticated by our ZAP
  std::optional<Role> role;            // nullopt: no (known) role
  // Set when the message broke a limit (too_large: more than frames_max
  // frames, or a frame over limits::message_bytes_max). Its remaining
  // frames were read and dropped, so the socket is in step; `frames` then
  // holds only the first frame when it was within limits (a ROUTER's
  // routing id), so the caller can still answer with this error.
  std::optional<Error> rejected;
};

// Takes one message without blocking.
//   nullopt                 nothing ready (EAGAIN)
//   a message               check `rejected` before using its frames
// Throws zmq::error_t on other socket errors (ETERM ...).
std::optional<Result<ReceivedMessage>> receive_message(
    zmq::socket_t& socket,
    std::size_t frames_max = limits::frames_per_message_max);

}  // namespace slurp::bus
