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
};

// Takes one message without blocking.
//   nullopt                 nothing ready (EAGAIN)
//   error too_large         more than frames_max frames, or a frame over
//                           limits::message_bytes_max; the rest of that
//                           message has been read and dropped, so the next
//                           call starts at the next message
// Throws zmq::error_t on other socket errors (ETERM ...).
std::optional<Result<ReceivedMessage>> receive_message(
    zmq::socket_t& socket,
    std::size_t frames_max = limits::frames_per_message_max);

}  // namespace slurp::bus
