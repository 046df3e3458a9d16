#include "bus/socket_options.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>

#include "bus/curve_keys.h"
#include "bus/socket.h"
#include "protocol/limits.h"

namespace slurp::bus {
namespace {

TEST_CASE("sockets: make_socket sets every option explicitly",
          "[bus][socket]") {
  zmq::context_t context;
  Result<CurveKeyPair> keys = generate_curve_keypair();
  REQUIRE(keys.ok());
  zmq::socket_t router =
      make_socket(context, zmq::socket_type::router,
                  CurveServer{keys->public_z85, keys->secret_z85, "slurp"});
  CHECK(router.get(zmq::sockopt::linger) == limits::socket_linger_ms);
  CHECK(router.get(zmq::sockopt::sndhwm) == limits::socket_send_hwm_messages);
  CHECK(router.get(zmq::sockopt::rcvhwm) ==
        limits::socket_receive_hwm_messages);
  CHECK(router.get(zmq::sockopt::maxmsgsize) ==
        static_cast<std::int64_t>(limits::socket_frame_bytes_max));
  CHECK_FALSE(router.get(zmq::sockopt::immediate));
  CHECK(router.get(zmq::sockopt::heartbeat_ivl) ==
        limits::zmtp_heartbeat_interval_ms);
  CHECK(router.get(zmq::sockopt::heartbeat_timeout) ==
        limits::zmtp_heartbeat_timeout_ms);
  CHECK(router.get(zmq::sockopt::heartbeat_ttl) ==
        limits::zmtp_heartbeat_timeout_ms);
  CHECK(router.get(zmq::sockopt::handshake_ivl) ==
        limits::handshake_interval_ms);
  int reconnect = router.get(zmq::sockopt::reconnect_ivl);
  CHECK(reconnect >= limits::reconnect_interval_ms);
  CHECK(reconnect < limits::reconnect_interval_ms * 3 / 2);
  CHECK(router.get(zmq::sockopt::reconnect_ivl_max) ==
        limits::reconnect_interval_ms_max);
  CHECK(router.get(zmq::sockopt::tcp_keepalive) == 1);
  CHECK(router.get(zmq::sockopt::tcp_keepalive_idle) ==
        limits::tcp_keepalive_idle_s);
  CHECK(router.get(zmq::sockopt::tcp_keepalive_intvl) ==
        limits::tcp_keepalive_interval_s);
  CHECK(router.get(zmq::sockopt::tcp_keepalive_cnt) ==
        limits::tcp_keepalive_count);
  CHECK(router.get(zmq::sockopt::mechanism) == ZMQ_CURVE);
  CHECK(router.get(zmq::sockopt::curve_server));
  CHECK(router.get(zmq::sockopt::zap_domain) == "slurp");
  CHECK(router.get(zmq::sockopt::curve_publickey) == keys->public_z85);

  zmq::socket_t dealer = make_socket(
      context, zmq::socket_type::dealer,
      CurveClient{keys->public_z85, keys->secret_z85, keys->public_z85});
  CHECK(dealer.get(zmq::sockopt::immediate));
  CHECK(dealer.get(zmq::sockopt::mechanism) == ZMQ_CURVE);
  CHECK_FALSE(dealer.get(zmq::sockopt::curve_server));
  CHECK(dealer.get(zmq::sockopt::curve_serverkey) == keys->public_z85);
}

TEST_CASE(
    "sockets: immediate defaults on for connecting DEALER/PUSH and can "
    "be overridden",
    "[bus][socket]") {
  zmq::context_t context;
  CHECK(make_socket(context, zmq::socket_type::push, Insecure{})
            .get(zmq::sockopt::immediate));
  CHECK_FALSE(make_socket(context, zmq::socket_type::pull, Insecure{})
                  .get(zmq::sockopt::immediate));
  SocketOptions options;
  options.immediate = false;
  CHECK_FALSE(
      make_socket(context, zmq::socket_type::dealer, Insecure{}, options)
          .get(zmq::sockopt::immediate));
  CHECK(make_socket(context, zmq::socket_type::dealer, Insecure{})
            .get(zmq::sockopt::mechanism) == ZMQ_NULL);
}

TEST_CASE(
    "sockets: a ROUTER reply to a vanished peer fails loudly "
    "(router_mandatory)",
    "[bus][socket]") {
  zmq::context_t context;
  zmq::socket_t router =
      make_socket(context, zmq::socket_type::router, Insecure{});
  bind_ephemeral(router);
  try {
    router.send(zmq::str_buffer("nobody"), zmq::send_flags::sndmore);
    FAIL("send to an unknown routing id succeeded");
  } catch (const zmq::error_t& error) {
    CHECK(error.num() == EHOSTUNREACH);
  }
}

TEST_CASE("sockets: reconnect intervals are jittered into [base, 1.5 base)",
          "[bus][socket]") {
  std::set<int> seen;
  for (int i = 0; i < 1000; ++i) {
    int interval = jittered_interval_ms(100);
    REQUIRE(interval >= 100);
    REQUIRE(interval < 150);
    seen.insert(interval);
  }
  CHECK(seen.size() > 10);  // 1000 draws from 50 values
  CHECK(jittered_interval_ms(1) == 1);
}

TEST_CASE("sockets: bind_ephemeral returns the endpoint actually bound",
          "[bus][socket]") {
  zmq::context_t context;
  zmq::socket_t pull = make_socket(context, zmq::socket_type::pull, Insecure{});
  std::string endpoint = bind_ephemeral(pull);
  CHECK_THAT(endpoint, Catch::StartsWith("tcp://127.0.0.1:"));
  CHECK(endpoint != "tcp://127.0.0.1:0");
  CHECK(std::stoi(endpoint.substr(std::string("tcp://127.0.0.1:").size())) > 0);
}

TEST_CASE("sockets: option validation", "[bus][socket]") {
  CHECK(validate_socket_options({}).ok());
  SocketOptions options;
  options.message_bytes_max =
      static_cast<std::int64_t>(limits::socket_frame_bytes_max) + 1;
  CHECK_FALSE(validate_socket_options(options).ok());
  options = {};
  options.send_hwm_messages = 0;
  Status status = validate_socket_options(options);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().field == "send_hwm_messages");
  options = {};
  options.reconnect_interval_ms_max = options.reconnect_interval_ms;
  CHECK_FALSE(validate_socket_options(options).ok());
  options = {};
  options.linger_ms = -1;
  CHECK_FALSE(validate_socket_options(options).ok());
}

// How many 13 KB messages a bound PUSH takes, with its one peer (a PULL
// with a receive high-water mark of 2 and a small kernel buffer) never
// reading, until it stops taking more for half a second. At most `cap`.
std::size_t push_until_full(zmq::socket_t& push, std::size_t cap) {
  const std::string message(13 * 1024, 'j');
  std::size_t taken = 0;
  while (taken < cap) {
    if (push.send(zmq::buffer(message), zmq::send_flags::dontwait)) {
      ++taken;
      continue;
    }
    zmq::pollitem_t item{push.handle(), 0, ZMQ_POLLOUT, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(500)) == 0) break;
  }
  return taken;
}

TEST_CASE(
    "sockets: a bound PUSH queues what the high-water mark and buffers it "
    "bound with allow",
    "[bus][socket]") {
  zmq::context_t context;
  Result<CurveKeyPair> server = generate_curve_keypair();
  Result<CurveKeyPair> client = generate_curve_keypair();
  REQUIRE(server.ok());
  REQUIRE(client.ok());
  SocketOptions pull_options;
  pull_options.receive_hwm_messages = 2;
  pull_options.receive_buffer_bytes = 16 * 1024;
  pull_options.zmtp_heartbeats = false;
  auto connected_pull = [&](const std::string& endpoint) {
    zmq::socket_t pull = make_socket(
        context, zmq::socket_type::pull,
        CurveClient{client->public_z85, client->secret_z85, server->public_z85},
        pull_options);
    pull.connect(endpoint);
    return pull;
  };
  const CurveServer curve{server->public_z85, server->secret_z85, ""};

  SECTION("options given to make_socket hold for accepted connections") {
    SocketOptions options;
    options.send_hwm_messages = 4;
    options.send_buffer_bytes = 16 * 1024;
    options.zmtp_heartbeats = false;
    zmq::socket_t push =
        make_socket(context, zmq::socket_type::push, curve, options);
    zmq::socket_t pull = connected_pull(bind_ephemeral(push));
    // 4 + 2 in the pipes, a few in the kernel's buffers (Linux doubles
    // SO_SNDBUF / SO_RCVBUF).
    CHECK(push_until_full(push, 2000) <= 40);
  }
  SECTION("a high-water mark set after bind does not reach them") {
    // Why the node sets its jobs PUSH's options before bind(): libzmq
    // gives a listener's connections the options the socket bound with.
    SocketOptions options;
    options.zmtp_heartbeats = false;
    zmq::socket_t push =
        make_socket(context, zmq::socket_type::push, curve, options);
    zmq::socket_t pull = connected_pull(bind_ephemeral(push));
    push.set(zmq::sockopt::sndhwm, 4);
    CHECK(push_until_full(push, 2000) == 2000);
  }
}

}  // namespace
}  // namespace slurp::bus
