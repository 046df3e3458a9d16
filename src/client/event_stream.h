// Subscribing to the events PUB sockets of several nodes (protocol/
// PROTOCOL.md "event" and "beacon"): one SUB socket per node, CURVE client
// with the node's public key as server key. Frames are [topic, payload];
// the payload must decode to an event whose topic is the frame's, or to a
// beacon under the topic "beacon".
//
// PUB is lossy; gaps show up as jumps in each node's `seq` (see
// event_sequence.h). A SUB socket reconnects by itself, so a node that is
// down at first is picked up when it comes back.
//
// Threads: an EventStream owns ZeroMQ sockets and belongs to the thread
// that made it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>
#include <zmq.hpp>

#include "bus/socket_monitor.h"
#include "protocol/messages.h"
#include "protocol/result.h"
#include "src/client/tool_config.h"

namespace slurp::client {

struct StreamItem {
  std::string source;  // id of the node whose socket it came on
  // An Error is not fatal: a malformed message (dropped) or a refused
  // handshake (the socket keeps retrying).
  std::variant<Event, Beacon, Error> item;
};

class EventStream {
 public:
  // Subscribes to `topics` (prefixes; {""}: everything) on the events
  // endpoint of every node in `nodes`; does not wait for connections.
  static Result<std::unique_ptr<EventStream>> connect(
      zmq::context_t& context, const ToolConfig& tool,
      const std::vector<NodeTarget>& nodes,
      const std::vector<std::string>& topics = {""});
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // The next item from any node, waiting at most `wait`; nullopt when
  // nothing came in time. Throws zmq::error_t on socket failures.
  std::optional<StreamItem> next(std::chrono::milliseconds wait);

 private:
  struct Source {
    std::string node;
    zmq::socket_t socket;
    std::unique_ptr<bus::SocketMonitor> monitor;  // after the socket
  };
  EventStream() = default;
  std::optional<StreamItem> take_ready(std::vector<zmq_pollitem_t>& items);
  static StreamItem decode_item(const std::string& node,
                                std::vector<zmq::message_t>& frames);

  std::vector<Source> sources_;
  std::size_t next_source_ = 0;  // round robin: no node starves the others
};

}  // namespace slurp::client
