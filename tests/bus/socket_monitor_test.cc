#include "bus/socket_monitor.h"

#include <catch2/catch.hpp>

#include "bus/socket.h"
#include "bus_test_support.h"

namespace slurp::bus::testing {
namespace {

TEST_CASE("monitor: event names", "[bus][monitor]") {
  CHECK(monitor_event_name(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) ==
        "handshake_failed_auth");
  CHECK(monitor_event_name(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) ==
        "handshake_failed_protocol");
  CHECK(monitor_event_name(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) ==
        "handshake_failed_no_detail");
  CHECK(monitor_event_name(ZMQ_EVENT_DISCONNECTED) == "disconnected");
  CHECK(monitor_event_name(0x8000) == "unknown");
  CHECK(protocol_error_name(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) ==
        "mechanism_mismatch");
}

TEST_CASE("monitor: sees listening, accepted, handshake and disconnect",
          "[bus][monitor]") {
  zmq::context_t context;
  zmq::socket_t server =
      make_socket(context, zmq::socket_type::router, Insecure{});
  SocketMonitor monitor(context, server);
  std::string endpoint = bind_ephemeral(server);
  CHECK(monitor.wait_for(
      [&](const MonitorEvent& e) {
        return e.name == "listening" && e.endpoint == endpoint;
      },
      deadline_ms));
  {
    zmq::socket_t client =
        make_socket(context, zmq::socket_type::dealer, Insecure{});
    client.connect(endpoint);
    CHECK(monitor.wait_for(
        [](const MonitorEvent& e) { return e.name == "handshake_succeeded"; },
        deadline_ms));
  }
  CHECK(monitor.wait_for(
      [](const MonitorEvent& e) { return e.id == ZMQ_EVENT_DISCONNECTED; },
      deadline_ms));
}

TEST_CASE("monitor: garbage on the port is a handshake failure",
          "[bus][monitor]") {
  zmq::context_t context;
  zmq::socket_t server =
      make_socket(context, zmq::socket_type::router, Insecure{});
  SocketMonitor monitor(context, server);
  std::string endpoint = bind_ephemeral(server);
  // A STREAM socket writes raw bytes: no ZMTP greeting at all.
  zmq::socket_t raw(context, zmq::socket_type::stream);
  raw.set(zmq::sockopt::linger, 0);
  raw.connect(endpoint);
  std::string routing_id = raw.get(zmq::sockopt::routing_id);
  raw.send(zmq::buffer(routing_id), zmq::send_flags::sndmore);
  raw.send(zmq::buffer(std::string(64, '\xff')));
  CHECK(monitor.wait_for(
      [](const MonitorEvent& e) {
        return e.name.rfind("handshake_failed", 0) == 0;
      },
      deadline_ms));
}

TEST_CASE(
    "monitor: drain returns what is queued without blocking; wait_for "
    "gives up at its deadline",
    "[bus][monitor]") {
  zmq::context_t context;
  zmq::socket_t pull = make_socket(context, zmq::socket_type::pull, Insecure{});
  SocketMonitor monitor(context, pull);
  bind_ephemeral(pull);
  std::vector<std::string> names;
  zmq_pollitem_t item = monitor.pollitem();
  REQUIRE(poll_items({&item, 1}, std::chrono::milliseconds(deadline_ms)) == 1);
  CHECK(monitor.drain(
            [&](const MonitorEvent& e) { names.emplace_back(e.name); }) >= 1);
  CHECK(std::find(names.begin(), names.end(), "listening") != names.end());
  CHECK(monitor.drain(nullptr) == 0);
  auto begin = std::chrono::steady_clock::now();
  CHECK_FALSE(monitor.wait_for([](const MonitorEvent&) { return true; }, 20));
  CHECK(std::chrono::steady_clock::now() - begin >=
        std::chrono::milliseconds(20));
}

}  // namespace
}  // namespace slurp::bus::testing
