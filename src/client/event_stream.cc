#include "src/client/event_stream.h"

#include <algorithm>

#include "bus/poll.h"
#include "bus/received_message.h"
#include "bus/socket.h"
#include "protocol/codec.h"

namespace slurp::client {
namespace {

using Clock = std::chrono::steady_clock;

// [topic, payload]: anything longer is not an event.
constexpr std::size_t event_frames_max = 2;

bus::SocketSecurity subscriber_security(const ToolConfig& tool,
                                        const NodeTarget& node) {
  if (tool.insecure) return bus::Insecure{};
  return bus::CurveClient{tool.keys.public_z85, tool.keys.secret_z85,
                          node.public_key_z85};
}

std::string frame_text(const zmq::message_t& frame) {
  return std::string(frame.data<char>(), frame.size());
}

}  // namespace

Result<std::unique_ptr<EventStream>> EventStream::connect(
    zmq::context_t& context, const ToolConfig& tool,
    const std::vector<NodeTarget>& nodes,
    const std::vector<std::string>& topics) {
  std::unique_ptr<EventStream> stream(new EventStream());
  stream->sources_.reserve(nodes.size());
  for (const NodeTarget& node : nodes) {
    if (node.events_endpoint.empty()) {
      return make_error(ErrorCode::bad_request,
                        "node " + node.id + " has no events endpoint",
                        "events_endpoint");
    }
    try {
      zmq::socket_t socket = bus::make_socket(context, zmq::socket_type::sub,
                                              subscriber_security(tool, node));
      for (const std::string& topic : topics) {
        socket.set(zmq::sockopt::subscribe, topic);
      }
      // Attached before connecting, so no handshake failure is missed.
      auto monitor = std::make_unique<bus::SocketMonitor>(
          context, socket,
          ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
              ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
              ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
      socket.connect(node.events_endpoint);
      stream->sources_.push_back(
          Source{node.id, std::move(socket), std::move(monitor)});
    } catch (const zmq::error_t& e) {
      return make_error(
          ErrorCode::bad_request,
          "cannot subscribe to " + node.events_endpoint + ": " + e.what(),
          "events_endpoint");
    }
  }
  return stream;
}

EventStream::~EventStream() = default;

std::optional<StreamItem> EventStream::next(std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  std::vector<zmq_pollitem_t> items;
  for (;;) {
    items.clear();
    for (Source& source : sources_) {
      items.push_back({source.socket.handle(), 0, ZMQ_POLLIN, 0});
      items.push_back(source.monitor->pollitem());
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    const auto timeout = std::max(left, std::chrono::milliseconds(0));
    if (bus::poll_items(items, timeout) > 0) {
      if (auto item = take_ready(items)) return item;
    }
    if (Clock::now() >= deadline) return std::nullopt;
  }
}

std::optional<StreamItem> EventStream::take_ready(
    std::vector<zmq_pollitem_t>& items) {
  const std::size_t count = sources_.size();
  // The start is fixed for the whole sweep: each source is looked at once.
  // (Moving next_source_ inside the loop skipped one: with three nodes it
  // visited 0, 2, 2, so a busy node in the middle was never read and its
  // ready socket kept zmq_poll returning at once, a spin.)
  const std::size_t start = next_source_;
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t i = (start + k) % count;
    Source& source = sources_[i];
    // Next time, start after the source that was served (or looked at).
    next_source_ = (i + 1) % count;
    if (items[2 * i + 1].revents & ZMQ_POLLIN) {
      std::optional<Error> refused;
      source.monitor->drain([&](const bus::MonitorEvent& e) {
        refused = make_error(
            ErrorCode::unauthenticated,
            "handshake with " + e.endpoint + " failed (" + std::string(e.name) +
                "): wrong node key in the config, our key not in its "
                "authorized-keys file, or CURVE against an insecure node?");
      });
      if (refused) return StreamItem{source.node, std::move(*refused)};
    }
    if (items[2 * i].revents & ZMQ_POLLIN) {
      auto received = bus::receive_message(source.socket, event_frames_max);
      if (!received) continue;
      if (!*received) return StreamItem{source.node, received->error()};
      if (received->value().rejected) {
        return StreamItem{source.node, *received->value().rejected};
      }
      return decode_item(source.node, received->value().frames);
    }
  }
  return std::nullopt;
}

StreamItem EventStream::decode_item(const std::string& node,
                                    std::vector<zmq::message_t>& frames) {
  if (frames.size() != event_frames_max) {
    return {node, make_error(ErrorCode::bad_request,
                             "expected 2 frames [topic, payload], got " +
                                 std::to_string(frames.size()))};
  }
  const std::string topic = frame_text(frames[0]);
  auto message =
      decode(std::string_view(frames[1].data<char>(), frames[1].size()));
  if (!message) return {node, message.error()};
  if (auto* event = std::get_if<Event>(&*message)) {
    if (event->topic == topic) return {node, std::move(*event)};
  } else if (auto* beacon = std::get_if<Beacon>(&*message)) {
    if (topic == "beacon") return {node, std::move(*beacon)};
  }
  return {node, make_error(ErrorCode::bad_request,
                           "a '" + std::string(message_type(*message)) +
                               "' payload under topic '" + topic + "'",
                           "type")};
}

}  // namespace slurp::client
