#include "src/client/client.h"

#include <algorithm>
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
    // Connect happens in the constructor, after the monitor is attached,
    // so no handshake event is missed.
    return std::unique_ptr<Client>(
        new Client(context, std::move(socket), std::move(options)));
  } catch (const zmq::error_t& e) {
    return make_error(ErrorCode::bad_request,
                      "cannot connect to " + options.endpoint + ": " + e.what(),
                      "endpoint");
  }
}

Client::Client(zmq::context_t& context, zmq::socket_t socket,
               ClientOptions options)
    : socket_(std::move(socket)),
      monitor_(context, socket_,
               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                   ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                   ZMQ_EVENT_HANDSHAKE_FAILED_AUTH),
      options_(std::move(options)) {
  socket_.connect(options_.endpoint);
}

namespace {

std::string refusal_reason(const bus::MonitorEvent& e) {
  switch (e.id) {
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      return "the node refused our key (ZAP status " + std::to_string(e.value) +
             "): is our public key in its authorized-keys file?";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      return "handshake failed (" +
             std::string(bus::protocol_error_name(e.value)) +
             "): wrong server key, or CURVE against an --insecure node?";
    default:
      return "handshake failed (errno " + std::to_string(e.value) +
             "): wrong server key, or a plaintext/CURVE mismatch?";
  }
}

}  // namespace

Status Client::wait_for_socket(short events, Clock::time_point deadline,
                               std::chrono::milliseconds budget,
                               const char* what) {
  std::array<zmq_pollitem_t, 2> items{
      zmq_pollitem_t{socket_.handle(), 0, events, 0}, monitor_.pollitem()};
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) {
      return make_error(ErrorCode::timeout, std::string(what) + " " +
                                                options_.endpoint + " within " +
                                                std::to_string(budget.count()) +
                                                " ms");
    }
    if (bus::poll_items(items, left) == 0) continue;
    if (items[1].revents & ZMQ_POLLIN) {
      std::optional<Error> refused;
      monitor_.drain([&](const bus::MonitorEvent& e) {
        refused = make_error(ErrorCode::unauthenticated, refusal_reason(e));
      });
      if (refused) return *refused;
    }
    if (items[0].revents & events) return ok_status();
  }
}

Client::~Client() = default;

Result<Message> Client::call(Message request) {
  auto reply = exchange(std::move(request));
  if (!reply) return reply.error();
  if (auto* error = std::get_if<ErrorReply>(&*reply)) {
    return from_error_reply(*error);
  }
  return reply;
}

Result<Message> Client::exchange(Message request) {
  const std::uint64_t id = next_id_++;
  set_request_id(request, id);
  const std::string payload = encode(request);
  const auto start = Clock::now();
  const auto deadline = start + options_.timeout;
  const auto connect_budget =
      options_.connect_timeout.count() > 0
          ? std::min(options_.connect_timeout, options_.timeout)
          : options_.timeout;
  // DEALER with immediate=on is writable only once a peer finished its
  // handshake, so this waits for the connection.
  if (Status s = wait_for_socket(ZMQ_POLLOUT, start + connect_budget,
                                 connect_budget, "no connection to");
      !s) {
    return s.error();
  }
  socket_.send(zmq::buffer(payload), zmq::send_flags::dontwait);
  for (;;) {
    if (Status s = wait_for_socket(ZMQ_POLLIN, deadline, options_.timeout,
                                   "no reply from");
        !s) {
      return s.error();
    }
    auto received = bus::receive_message(socket_);
    if (!received) continue;
    if (!*received) return received->error();
    if (received->value().rejected) return *received->value().rejected;
    const auto& frames = received->value().frames;
    if (frames.empty()) continue;
    const zmq::message_t& body = frames.back();
    auto reply = decode(std::string_view(body.data<char>(), body.size()));
    if (!reply) return reply.error();
    // A reply to an earlier call that timed out: not ours, skip it.
    if (reply_id(*reply) != id) continue;
    return std::move(*reply);
  }
}

Result<std::uint64_t> Client::send(Message request) {
  const std::uint64_t id = next_id_++;
  set_request_id(request, id);
  const std::string payload = encode(request);
  const auto budget = options_.connect_timeout.count() > 0
                          ? std::min(options_.connect_timeout, options_.timeout)
                          : options_.timeout;
  if (Status s = wait_for_socket(ZMQ_POLLOUT, Clock::now() + budget, budget,
                                 "no connection to");
      !s) {
    return s.error();
  }
  socket_.send(zmq::buffer(payload), zmq::send_flags::dontwait);
  return id;
}

Result<std::optional<Message>> Client::receive(std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  for (;;) {
    if (Status s = wait_for_socket(ZMQ_POLLIN, deadline, wait, "no reply from");
        !s) {
      if (s.error().code == ErrorCode::timeout) return std::optional<Message>();
      return s.error();
    }
    auto received = bus::receive_message(socket_);
    if (!received) continue;
    if (!*received) return received->error();
    if (received->value().rejected) return *received->value().rejected;
    const auto& frames = received->value().frames;
    if (frames.empty()) continue;
    const zmq::message_t& body = frames.back();
    auto reply = decode(std::string_view(body.data<char>(), body.size()));
    if (!reply) return reply.error();
    return std::optional<Message>(std::move(*reply));
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

Result<EventsReply> Client::fetch_events(std::uint64_t from_seq,
                                         std::uint64_t limit) {
  FetchEvents request;
  request.from_seq = from_seq;
  request.limit = limit;
  return call_for<EventsReply>(request);
}

}  // namespace slurp::client
