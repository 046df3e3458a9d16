// Acceptance criteria of slurp's security layer (DESIGN.md "Security"):
// CurveZMQ on every socket, fail-closed ZAP, identity and role from the
// authorized-keys file, never from the message.

#include <catch2/catch.hpp>

#include "curve_fixture.h"

namespace slurp::bus::testing {
namespace {

using namespace std::string_literals;

TEST_CASE_METHOD(CurveServerFixture,
                 "CURVE (a): an authorized key talks, and the server sees the "
                 "file's name and role",
                 "[bus][curve]") {
  zmq::socket_t client = this->client(alice);
  client.connect(endpoint);
  client.send(zmq::str_buffer("hello"));

  auto received = wait_for_message(server);
  REQUIRE(received);
  REQUIRE(received->ok());
  ReceivedMessage& message = received->value();
  REQUIRE(message.frames.size() == 2);  // routing id + payload
  CHECK(frame_text(message.frames[1]) == "hello");
  // RFC 27: "The user id ... SHALL be made available to the application" --
  // and our Role travels in the ZAP metadata frame beside it.
  CHECK(message.user_id == "alice");
  REQUIRE(message.role);
  CHECK(*message.role == Role::admin);

  server.send(message.frames[0], zmq::send_flags::sndmore);
  server.send(zmq::str_buffer("welcome"));
  auto reply = wait_for_message(client);
  REQUIRE(reply);
  REQUIRE(reply->ok());
  REQUIRE(reply->value().frames.size() == 1);
  CHECK(frame_text(reply->value().frames[0]) == "welcome");

  CHECK(audit.wait_for([&](const AuthDecision& d) {
    return d.accepted && d.status_code == 200 &&
           d.public_key_z85 == alice.public_z85 && d.name == "alice" &&
           d.role == Role::admin && d.mechanism == "CURVE" &&
           d.peer_address == "127.0.0.1";
  }));
  CHECK(zap->accepted_count() >= 1);
}

TEST_CASE_METHOD(CurveServerFixture,
                 "CURVE (a): each connection carries its own key's role",
                 "[bus][curve]") {
  zmq::socket_t admin = client(alice);
  zmq::socket_t worker = client(carol);
  admin.connect(endpoint);
  worker.connect(endpoint);
  admin.send(zmq::str_buffer("from alice"));
  worker.send(zmq::str_buffer("from carol"));
  for (int i = 0; i < 2; ++i) {
    auto received = wait_for_message(server);
    REQUIRE(received);
    REQUIRE(received->ok());
    const ReceivedMessage& m = received->value();
    std::string text = frame_text(m.frames[1]);
    if (text == "from alice") {
      CHECK(m.user_id == "alice");
      CHECK(m.role == Role::admin);
    } else {
      CHECK(text == "from carol");
      CHECK(m.user_id == "carol");
      CHECK(m.role == Role::worker);
    }
  }
}

TEST_CASE_METHOD(CurveServerFixture,
                 "CURVE (b): an unknown key is refused at the handshake",
                 "[bus][curve]") {
  // immediate off: the message waits in the pipe, so if the handshake let
  // bob through, the server would get it.
  SocketOptions queue_early;
  queue_early.immediate = false;
  zmq::socket_t client = this->client(bob, queue_early);
  SocketMonitor client_monitor(context, client);
  client.connect(endpoint);
  client.send(zmq::str_buffer("let me in"), zmq::send_flags::dontwait);

  CHECK(client_monitor.wait_for(
      [](const MonitorEvent& e) {
        return e.id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH &&
               e.name == "handshake_failed_auth" && e.value == 400;
      },
      deadline_ms));
  CHECK(audit.wait_for([&](const AuthDecision& d) {
    return !d.accepted && d.status_code == 400 &&
           d.public_key_z85 == bob.public_z85 && d.reason == "unknown key" &&
           d.peer_address == "127.0.0.1";
  }));
  CHECK(server_monitor->wait_for(
      [](const MonitorEvent& e) {
        return e.id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
      },
      deadline_ms));
  CHECK(zap->refused_count() >= 1);
  // The refusal has been observed on both ends: nothing may have arrived.
  CHECK_FALSE(receive_message(server));
}

TEST_CASE_METHOD(CurveServerFixture, "CURVE (c): a plaintext client is refused",
                 "[bus][curve]") {
  SocketOptions queue_early;
  queue_early.immediate = false;
  zmq::socket_t client =
      make_socket(context, zmq::socket_type::dealer, Insecure{}, queue_early);
  client.connect(endpoint);
  client.send(zmq::str_buffer("plaintext hello"), zmq::send_flags::dontwait);

  std::optional<MonitorEvent> failure;
  CHECK(server_monitor->wait_for(
      [&](const MonitorEvent& e) {
        if (!is_handshake_failure(e)) return false;
        failure = e;
        return true;
      },
      deadline_ms));
  REQUIRE(failure);
  // ZMTP greeting names the mechanism; NULL against CURVE never gets as far
  // as ZAP.
  CHECK(failure->id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
  CHECK(protocol_error_name(failure->value) == "mechanism_mismatch");
  CHECK_FALSE(receive_message(server));
}

TEST_CASE_METHOD(CurveServerFixture,
                 "CURVE (d): reload admits a key added to the file",
                 "[bus][curve]") {
  {
    zmq::socket_t before = client(bob);
    before.connect(endpoint);
    CHECK(audit.wait_for([&](const AuthDecision& d) {
      return !d.accepted && d.public_key_z85 == bob.public_z85;
    }));
  }
  std::ofstream(keys_path, std::ios::app) << bob.public_z85 << " bob node\n";
  REQUIRE(zap->reload().ok());
  CHECK(zap->key_count() == 3);

  zmq::socket_t after = client(bob);
  after.connect(endpoint);
  after.send(zmq::str_buffer("now?"));
  auto received = wait_for_message(server);
  REQUIRE(received);
  REQUIRE(received->ok());
  CHECK(received->value().user_id == "bob");
  CHECK(received->value().role == Role::node);
}

TEST_CASE_METHOD(CurveServerFixture,
                 "CURVE (d): reload of a bad file keeps the old table",
                 "[bus][curve]") {
  write_text(keys_path, alice.public_z85 + " alice admin\n" + bob.public_z85 +
                            " bob boss\n");
  Status reloaded = zap->reload();
  REQUIRE_FALSE(reloaded.ok());
  CHECK_THAT(reloaded.error().describe(),
             Catch::Contains(":2: unknown role 'boss'"));
  CHECK(zap->key_count() == 2);

  zmq::socket_t carol_client = client(carol);  // only in the old table
  carol_client.connect(endpoint);
  carol_client.send(zmq::str_buffer("still here"));
  auto received = wait_for_message(server);
  REQUIRE(received);
  REQUIRE(received->ok());
  CHECK(received->value().user_id == "carol");
  CHECK(received->value().role == Role::worker);
}

}  // namespace
}  // namespace slurp::bus::testing

namespace slurp::bus::testing {
namespace {

TEST_CASE("CURVE: a server socket in another ZAP domain refuses every key",
          "[bus][curve]") {
  for (std::string domain : {"other", ""}) {
    CAPTURE(domain);
    CurveServerFixture fixture(domain);
    zmq::socket_t client = fixture.client(fixture.alice);
    SocketMonitor client_monitor(fixture.context, client);
    client.connect(fixture.endpoint);
    CHECK(client_monitor.wait_for(
        [](const MonitorEvent& e) {
          return e.id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
        },
        deadline_ms));
    CHECK(fixture.audit.wait_for([&](const AuthDecision& d) {
      return !d.accepted && d.status_code == 400 &&
             d.public_key_z85 == fixture.alice.public_z85 &&
             d.reason == "wrong ZAP domain '" + domain + "'";
    }));
  }
}

TEST_CASE("Insecure mode: plaintext peers pass ZAP only with allow_null",
          "[bus][curve]") {
  for (bool allow_null : {true, false}) {
    CAPTURE(allow_null);
    TempDir dir;
    zmq::context_t context;
    AuditLog audit;
    ZapAuthenticator zap(context, AuthorizedKeys{}, {}, "slurp", allow_null,
                         audit.callback());
    REQUIRE(zap.start().ok());
    zmq::socket_t server =
        make_socket(context, zmq::socket_type::router, Insecure{"slurp"});
    std::string endpoint = bind_ephemeral(server);
    SocketOptions queue_early;
    queue_early.immediate = false;
    zmq::socket_t client =
        make_socket(context, zmq::socket_type::dealer, Insecure{}, queue_early);
    SocketMonitor client_monitor(context, client);
    client.connect(endpoint);
    client.send(zmq::str_buffer("plain"), zmq::send_flags::dontwait);
    if (allow_null) {
      auto received = wait_for_message(server);
      REQUIRE(received);
      REQUIRE(received->ok());
      CHECK(received->value().user_id == ZapAuthenticator::insecure_user_id);
      CHECK(received->value().role == ZapAuthenticator::insecure_role);
    } else {
      CHECK(client_monitor.wait_for(
          [](const MonitorEvent& e) {
            return e.id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
          },
          deadline_ms));
      CHECK(audit.wait_for([](const AuthDecision& d) {
        return !d.accepted && d.mechanism == "NULL" && d.status_code == 400;
      }));
      CHECK_FALSE(receive_message(server));
    }
  }
}

TEST_CASE("Insecure server without a ZAP domain: peers have no identity",
          "[bus][curve]") {
  // What happens if a plaintext server forgets its domain: libzmq skips ZAP
  // for NULL, and the messages arrive unauthenticated (no user id, no role),
  // which the node's policy must treat as "unauthenticated".
  zmq::context_t context;
  zmq::socket_t server =
      make_socket(context, zmq::socket_type::router, Insecure{});
  std::string endpoint = bind_ephemeral(server);
  zmq::socket_t client =
      make_socket(context, zmq::socket_type::dealer, Insecure{});
  SocketMonitor client_monitor(context, client);
  client.connect(endpoint);
  CHECK(client_monitor.wait_for(
      [](const MonitorEvent& e) {
        return e.id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
      },
      deadline_ms));
  client.send(zmq::str_buffer("who am I"));
  auto received = wait_for_message(server);
  REQUIRE(received);
  REQUIRE(received->ok());
  CHECK(received->value().user_id.empty());
  CHECK_FALSE(received->value().role);
}

}  // namespace
}  // namespace slurp::bus::testing
