#include "bus/socket.h"

namespace slurp::bus {

zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type,
                          const SocketSecurity& security,
                          const SocketOptions& options) {
  zmq::socket_t socket(context, type);
  apply_socket_options(socket, type, options);
  apply_socket_security(socket, type, security);
  return socket;
}

std::string bind_ephemeral(zmq::socket_t& socket, const std::string& host) {
  socket.bind("tcp://" + host + ":*");
  return socket.get(zmq::sockopt::last_endpoint);
}

}  // namespace slurp::bus
