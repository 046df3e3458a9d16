// A peer may put any property in its handshake metadata (ZMTP 3.0 READY /
// CURVE INITIATE), "User-Id" and "Role" included, and libzmq hands those to
// zmq_msg_gets like any other. These tests pin down what slurp relies on:
// ZAP's properties win when ZAP runs, and receive_message ignores identity
// properties that lack this process's vouch when it does not.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <thread>

#include "bus/socket.h"
#include "bus/zmtp_metadata.h"
#include "curve_fixture.h"

namespace slurp::bus::testing {
namespace {

// A hand-written ZMTP 3.0 NULL-mechanism client on a plain TCP socket, so
// the test controls the READY metadata byte for byte.
class RawZmtpPeer {
 public:
  explicit RawZmtpPeer(const std::string& endpoint) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    timeval timeout{deadline_ms / 1000, 0};  // reads fail rather than hang
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    auto port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address),
                      sizeof address) == 0);
  }
  ~RawZmtpPeer() { ::close(fd_); }

  // Greeting + READY with `claims`, then waits for the server's greeting and
  // READY: a message sent before those would be read as a command.
  void handshake(const std::vector<MetadataProperty>& claims) {
    std::string greeting(64, '\0');
    greeting[0] = '\xff';  // signature: %xFF 8*%x00 %x7F
    greeting[9] = '\x7f';
    greeting[10] = 3;  // version 3.0
    std::memcpy(&greeting[12], "NULL", 4);
    send_bytes(greeting);
    std::vector<MetadataProperty> properties = {{"Socket-Type", "DEALER"}};
    properties.insert(properties.end(), claims.begin(), claims.end());
    std::string body = "\x05READY" + encode_zmtp_metadata(properties);
    REQUIRE(body.size() < 256);
    send_bytes(std::string{'\x04', static_cast<char>(body.size())} + body);
    read_bytes(64);
    std::string header = read_bytes(2);
    REQUIRE(header[0] == '\x04');  // a command: the server's READY
    read_bytes(static_cast<std::uint8_t>(header[1]));
  }

  void send_message(const std::string& body) {
    REQUIRE(body.size() < 256);
    send_bytes(std::string{'\x00', static_cast<char>(body.size())} + body);
  }

 private:
  void send_bytes(const std::string& bytes) {
    REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  std::string read_bytes(std::size_t count) {
    std::string bytes(count, '\0');
    std::size_t got = 0;
    while (got < count) {
      ssize_t n = ::recv(fd_, &bytes[got], count - got, 0);
      REQUIRE(n > 0);
      got += static_cast<std::size_t>(n);
    }
    return bytes;
  }

  int fd_ = -1;
};

const std::vector<MetadataProperty> claims = {
    {"User-Id", "root"}, {"Role", "admin"}, {"Slurp-Vouch", "guess"}};

TEST_CASE("spoofing: without ZAP a peer's claimed User-Id/Role are ignored",
          "[bus][spoof]") {
  zmq::context_t context;
  zmq::socket_t server =
      make_socket(context, zmq::socket_type::router, Insecure{});
  RawZmtpPeer peer(bind_ephemeral(server));
  peer.handshake(claims);
  peer.send_message("I am root");

  auto received = wait_for_message(server);
  REQUIRE(received);
  REQUIRE(received->ok());
  ReceivedMessage& message = received->value();
  CHECK(frame_text(message.frames.back()) == "I am root");
  // libzmq itself passes the claim on ...
  const char* claimed = zmq_msg_gets(message.frames.back().handle(), "Role");
  REQUIRE(claimed != nullptr);
  CHECK(std::string(claimed) == "admin");
  // ... and receive_message refuses it: no vouch from our ZAP handler.
  CHECK(message.user_id.empty());
  CHECK_FALSE(message.role);
}

TEST_CASE("spoofing: with ZAP the handler's User-Id/Role win over the peer's",
          "[bus][spoof]") {
  zmq::context_t context;
  ZapAuthenticator zap(context, {}, {}, "slurp", /*allow_null=*/true, nullptr);
  REQUIRE(zap.start().ok());
  zmq::socket_t server =
      make_socket(context, zmq::socket_type::router, Insecure{"slurp"});
  RawZmtpPeer peer(bind_ephemeral(server));
  peer.handshake(claims);
  peer.send_message("I am root");

  auto received = wait_for_message(server);
  REQUIRE(received);
  REQUIRE(received->ok());
  CHECK(received->value().user_id == ZapAuthenticator::insecure_user_id);
  CHECK(received->value().role == ZapAuthenticator::insecure_role);
}

// ZMQ_METADATA is DRAFT in 4.3.4's zmq.h, but the library accepts it; it
// lets a stock libzmq CURVE client send an "X-" property in INITIATE.
constexpr int zmq_metadata_option = 95;

TEST_CASE("spoofing: with CURVE too, ZAP metadata wins over INITIATE metadata",
          "[bus][spoof]") {
  // A stand-in ZAP handler that sets an X- property the client also sends;
  // libzmq clients may only send X- names, so this is how stock libzmq can
  // show which source wins for the CURVE mechanism.
  zmq::context_t context;
  zmq::socket_t handler(context, zmq::socket_type::rep);
  handler.set(zmq::sockopt::linger, 0);
  handler.bind("inproc://zeromq.zap.01");
  CurveKeyPair server_keys = fresh_keys();
  CurveKeyPair client_keys = fresh_keys();
  zmq::socket_t server = make_socket(
      context, zmq::socket_type::router,
      CurveServer{server_keys.public_z85, server_keys.secret_z85, "slurp"});
  std::string endpoint = bind_ephemeral(server);
  SocketOptions queue_early;  // send before the handshake (ZAP) completes
  queue_early.immediate = false;
  zmq::socket_t client =
      make_socket(context, zmq::socket_type::dealer,
                  CurveClient{client_keys.public_z85, client_keys.secret_z85,
                              server_keys.public_z85},
                  queue_early);
  std::string claim = "X-Who:peer";
  if (zmq_setsockopt(client.handle(), zmq_metadata_option, claim.data(),
                     claim.size()) != 0) {
    WARN("this libzmq refuses ZMQ_METADATA; precedence not checked");
    return;
  }
  client.connect(endpoint);
  client.send(zmq::str_buffer("hi"));

  std::vector<zmq::message_t> request;
  zmq_pollitem_t item{handler.handle(), 0, ZMQ_POLLIN, 0};
  REQUIRE(poll_items({&item, 1}, std::chrono::milliseconds(deadline_ms)) == 1);
  for (bool more = true; more;) {
    zmq::message_t frame;
    REQUIRE(handler.recv(frame, zmq::recv_flags::dontwait));
    more = frame.more();
    request.push_back(std::move(frame));
  }
  REQUIRE(request.size() == 7);
  auto more = zmq::send_flags::sndmore;
  handler.send(zmq::str_buffer("1.0"), more);
  handler.send(request[1], more);
  handler.send(zmq::str_buffer("200"), more);
  handler.send(zmq::str_buffer("OK"), more);
  handler.send(zmq::str_buffer("someone"), more);
  handler.send(zmq::buffer(encode_zmtp_metadata({{"X-Who", "zap"}})),
               zmq::send_flags::none);

  auto received = wait_for_message(server);
  REQUIRE(received);
  REQUIRE(received->ok());
  const char* who =
      zmq_msg_gets(received->value().frames.back().handle(), "X-Who");
  REQUIRE(who != nullptr);
  CHECK(std::string(who) == "zap");
}

}  // namespace
}  // namespace slurp::bus::testing
