#include "bus/socket_options.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <cassert>

namespace slurp::bus {

namespace {

std::string_view type_name(zmq::socket_type type) {
  switch (type) {
    case zmq::socket_type::router: return "ROUTER";
    case zmq::socket_type::dealer: return "DEALER";
    case zmq::socket_type::pub: return "PUB";
    case zmq::socket_type::sub: return "SUB";
    case zmq::socket_type::push: return "PUSH";
    case zmq::socket_type::pull: return "PULL";
    case zmq::socket_type::pair: return "PAIR";
    case zmq::socket_type::req: return "REQ";
    case zmq::socket_type::rep: return "REP";
    default: return "other";
  }
}

// libzmq refuses an empty value (EINVAL); empty is its default anyway. A
// CURVE server left without a domain still asks the ZAP handler, which then
// refuses every peer for the wrong domain: a slip fails closed.
void set_zap_domain(zmq::socket_t& socket, const std::string& domain) {
  if (!domain.empty()) socket.set(zmq::sockopt::zap_domain, domain);
}

Error bad_option(std::string field, std::string reason) {
  return make_error(ErrorCode::bad_request, std::move(reason),
                    std::move(field));
}

}  // namespace

Status validate_socket_options(const SocketOptions& o) {
  struct Positive {
    const char* name;
    long long value;
  };
  for (Positive p : {Positive{"send_hwm_messages", o.send_hwm_messages},
                     {"message_bytes_max", o.message_bytes_max},
                     {"reconnect_interval_ms", o.reconnect_interval_ms},
                     {"heartbeat_interval_ms", o.heartbeat_interval_ms},
                     {"heartbeat_timeout_ms", o.heartbeat_timeout_ms},
                     {"heartbeat_ttl_ms", o.heartbeat_ttl_ms},
                     {"handshake_interval_ms", o.handshake_interval_ms},
                     {"tcp_keepalive_idle_s", o.tcp_keepalive_idle_s},
                     {"tcp_keepalive_interval_s", o.tcp_keepalive_interval_s},
                     {"tcp_keepalive_count", o.tcp_keepalive_count}}) {
    if (p.value <= 0) return bad_option(p.name, "must be positive");
  }
  if (o.linger_ms < 0) return bad_option("linger_ms", "must not be negative");
  if (o.send_buffer_bytes < 0 || o.receive_buffer_bytes < 0) {
    return bad_option(
        o.send_buffer_bytes < 0 ? "send_buffer_bytes" : "receive_buffer_bytes",
        "must not be negative");
  }
  if (o.receive_hwm_messages < 0) {
    return bad_option("receive_hwm_messages", "must not be negative");
  }
  if (o.message_bytes_max >
      static_cast<std::int64_t>(limits::socket_frame_bytes_max)) {
    return bad_option("message_bytes_max", "over socket_frame_bytes_max");
  }
  // libzmq keeps the TTL in deciseconds in 16 bits.
  if (o.heartbeat_ttl_ms > 6553599) {
    return bad_option("heartbeat_ttl_ms", "over 6553599");
  }
  if (o.reconnect_interval_ms_max <
      o.reconnect_interval_ms + o.reconnect_interval_ms / 2) {
    return bad_option("reconnect_interval_ms_max",
                      "below 1.5 x reconnect_interval_ms");
  }
  return ok_status();
}

int jittered_interval_ms(int base_ms) {
  assert(base_ms > 0);
  auto spread = static_cast<std::uint32_t>(base_ms / 2);
  if (spread == 0) return base_ms;
  // libsodium's generator is thread-safe and needs no seeding by us;
  // sodium_init is idempotent.
  [[maybe_unused]] int initialized = sodium_init();
  assert(initialized >= 0);
  return base_ms + static_cast<int>(randombytes_uniform(spread));
}

void apply_socket_options(zmq::socket_t& socket, zmq::socket_type type,
                          const SocketOptions& o) {
  assert(validate_socket_options(o).ok());
  socket.set(zmq::sockopt::linger, o.linger_ms);
  socket.set(zmq::sockopt::sndhwm, o.send_hwm_messages);
  socket.set(zmq::sockopt::rcvhwm, o.receive_hwm_messages);
  socket.set(zmq::sockopt::maxmsgsize, o.message_bytes_max);
  bool connects =
      type == zmq::socket_type::dealer || type == zmq::socket_type::push;
  socket.set(zmq::sockopt::immediate, o.immediate.value_or(connects));
  if (type == zmq::socket_type::router) {
    // An unroutable reply fails with EHOSTUNREACH instead of vanishing;
    // callers must handle it (the peer went away: drop and count).
    socket.set(zmq::sockopt::router_mandatory, true);
  }
  if (o.zmtp_heartbeats) {
    socket.set(zmq::sockopt::heartbeat_ivl, o.heartbeat_interval_ms);
    socket.set(zmq::sockopt::heartbeat_timeout, o.heartbeat_timeout_ms);
    socket.set(zmq::sockopt::heartbeat_ttl, o.heartbeat_ttl_ms);
  } else {
    socket.set(zmq::sockopt::heartbeat_ivl, 0);
  }
  socket.set(zmq::sockopt::handshake_ivl, o.handshake_interval_ms);
  if (o.send_buffer_bytes > 0) {
    socket.set(zmq::sockopt::sndbuf, o.send_buffer_bytes);
  }
  if (o.receive_buffer_bytes > 0) {
    socket.set(zmq::sockopt::rcvbuf, o.receive_buffer_bytes);
  }
  // libzmq has no jitter option: pick this socket's interval at random.
  socket.set(zmq::sockopt::reconnect_ivl,
             jittered_interval_ms(o.reconnect_interval_ms));
  socket.set(zmq::sockopt::reconnect_ivl_max, o.reconnect_interval_ms_max);
  // Heartbeats find dead peers on live links; keepalive also lets the
  // kernel clean up links a middlebox dropped silently.
  socket.set(zmq::sockopt::tcp_keepalive, 1);
  socket.set(zmq::sockopt::tcp_keepalive_idle, o.tcp_keepalive_idle_s);
  socket.set(zmq::sockopt::tcp_keepalive_intvl, o.tcp_keepalive_interval_s);
  socket.set(zmq::sockopt::tcp_keepalive_cnt, o.tcp_keepalive_count);
}

void apply_socket_security(zmq::socket_t& socket, zmq::socket_type type,
                           const SocketSecurity& security) {
  if (const auto* server = std::get_if<CurveServer>(&security)) {
    socket.set(zmq::sockopt::curve_server, true);
    socket.set(zmq::sockopt::curve_publickey, server->public_z85);
    socket.set(zmq::sockopt::curve_secretkey, server->secret_z85);
    set_zap_domain(socket, server->zap_domain);
  } else if (const auto* client = std::get_if<CurveClient>(&security)) {
    socket.set(zmq::sockopt::curve_server, false);
    socket.set(zmq::sockopt::curve_serverkey, client->server_public_z85);
    socket.set(zmq::sockopt::curve_publickey, client->public_z85);
    socket.set(zmq::sockopt::curve_secretkey, client->secret_z85);
  } else {
    const auto& insecure = std::get<Insecure>(security);
    set_zap_domain(socket, insecure.zap_domain);
    spdlog::warn(
        "INSECURE: plaintext {} socket: traffic is readable and peers are "
        "unauthenticated (--insecure). Never run a real cluster like this.",
        type_name(type));
  }
}

}  // namespace slurp::bus
