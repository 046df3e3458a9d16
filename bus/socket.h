// Making sockets. Every slurp socket comes from make_socket, so every socket
// has the same explicitly chosen options (socket_options.h). The returned
// socket belongs to the calling thread, like any ZeroMQ socket.
#pragma once

#include <string>
#include <zmq.hpp>

#include "bus/socket_options.h"

namespace slurp::bus {

// A socket with `options` and `security` applied, not yet bound or
// connected. Throws zmq::error_t if libzmq rejects an option (e.g. CURVE
// keys that are not Z85: keys should come from curve_keys.h loaders).
zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type,
                          const SocketSecurity& security,
                          const SocketOptions& options = {});

// Binds to an ephemeral TCP port on `host` and returns the endpoint libzmq
// chose (ZMQ_LAST_ENDPOINT), e.g. "tcp://127.0.0.1:41237".
std::string bind_ephemeral(zmq::socket_t& socket,
                           const std::string& host = "127.0.0.1");

}  // namespace slurp::bus
