#include "src/client/client.h"

#include <array>

#include "bus/poll.h"
#include "bus/received_message.h"
#include "bus/socket.h"
#include "protocol/codec.h"

namespace slurp::client {
namespace {

using Clock = std::chrono::steady_clock;

void set_request_id(Message& message, std::uint64_t id) {
  std::visit(
      [id](auto& m) {
        if constexpr (requires { m.id; }) m.id = id;
      },
      message);
}

std::uint64_t reply_id(const Message& message) {
  return std::visit(
      [](const auto& m) -> std::uint64_t {
        if constexpr (requires { m.id; }) {
          return m.id;
        } else {
          return 0;
        }
      },
      message);
}

}  // namespace

Result<std::unique_ptr<Client>> Client::connect(zmq::context_t& context,
                                                ClientOptions options) {
  bus::SocketSecurity security = bus::Insecure{};
  if (!options.insecure) {
    if (!bus::z85_key_to_raw(options.server_public_z85)) {
      return make_error(ErrorCode::bad_request,
                        "server public key is not a 40-character Z85 key",
                        "server_public_key");
    }
    security =
        bus::CurveClient{options.keys.public_z85, options.keys.secret_z85,
                         options.server_public_z85};
  }
  try {
    zmq::socket_t socket =
        bus::make_socket(context, zmq::socket_type::dealer, security);
    socket.connect(options.endpoint);
    return std::unique_ptr<Client>(
        new Client(std::move(socket), std::move(options)));
  } catch (const zmq::error_t& e) {
    return make_error(ErrorCode::bad_request,
                      "cannot connect to " + options.endpoint + ": " + e.what(),
                      "endpoint");
  }
}

Client::Client(zmq::socket_t socket, ClientOptions options)
    : socket_(std::move(socket)), options_(std::move(options)) {}

Client::~Client() = default;

Result<Message> Client::call(Message request) {
  const std::uint64_t id = next_id_++;
  set_request_id(request, id);
  const std::string payload = encode(request);
  const auto deadline = Clock::now() + options_.timeout;
  // DEALER with immediate=on blocks (or EAGAINs) until a peer is connected,
  // so sending waits for the handshake within the same deadline.
  std::array<zmq_pollitem_t, 1> items{
      zmq_pollitem_t{socket_.handle(), 0, ZMQ_POLLOUT, 0}};
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) {
      return make_error(ErrorCode::timeout,
                        "no connection to " + options_.endpoint +
                            " (is the node up, and is our key authorized?)");
    }
    if (bus::poll_items(items, left) > 0) break;
  }
  socket_.send(zmq::buffer(payload), zmq::send_flags::dontwait);

  items[0].events = ZMQ_POLLIN;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) {
      return make_error(ErrorCode::timeout,
                        "no reply from " + options_.endpoint + " within " +
                            std::to_string(options_.timeout.count()) + " ms");
    }
    if (bus::poll_items(items, left) == 0) continue;
    auto received = bus::receive_message(socket_);
    if (!received) continue;
    if (!*received) return received->error();
    const auto& frames = received->value().frames;
    if (frames.empty()) continue;
    const zmq::message_t& body = frames.back();
    auto reply = decode(std::string_view(body.data<char>(), body.size()));
    if (!reply) return reply.error();
    // A reply to an earlier call that timed out: not ours, skip it.
    if (reply_id(*reply) != id) continue;
    if (auto* error = std::get_if<ErrorReply>(&*reply)) {
      return from_error_reply(*error);
    }
    return std::move(*reply);
  }
}

template <class Reply>
Result<Reply> Client::call_for(Message request) {
  auto reply = call(std::move(request));
  if (!reply) return reply.error();
  if (auto* typed = std::get_if<Reply>(&*reply)) return std::move(*typed);
  return make_error(
      ErrorCode::internal,
      "unexpected reply type '" + std::string(message_type(*reply)) + "'",
      "type");
}

Result<Pong> Client::ping() {
  return call_for<Pong>(Ping{});
}

Result<StatusReply> Client::status(bool stale) {
  StatusRequest request;
  request.stale = stale;
  return call_for<StatusReply>(request);
}

}  // namespace slurp::client
