// Watching a socket's connection events (zmq_socket_monitor). libzmq sends
// them to an inproc PAIR socket of our own, which the owner thread polls next
// to its other sockets. Handshake failures (plaintext peer, unknown key,
// garbage on the port) and disconnects are logged here, so every monitored
// socket reports them the same way.
//
// Threads: the monitor belongs to the thread that owns the watched socket;
// construct, poll, drain and destroy it there. Destroy it before the watched
// socket (declare it after the socket); the destructor stops the monitoring
// on that socket.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <zmq.hpp>

namespace slurp::bus {

struct MonitorEvent {
  std::uint16_t id = 0;     // ZMQ_EVENT_*
  std::string_view name;    // "handshake_failed_auth", "disconnected", ...
  std::uint32_t value = 0;  // fd, errno, ZAP status or ZMQ_PROTOCOL_ERROR_*
  std::string endpoint;
};

// "handshake_failed_auth" for ZMQ_EVENT_HANDSHAKE_FAILED_AUTH; "unknown".
std::string_view monitor_event_name(std::uint16_t id);
// "mechanism_mismatch" for ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH ...
std::string_view protocol_error_name(std::uint32_t value);

class SocketMonitor {
 public:
  // `events` is a mask of ZMQ_EVENT_* values.
  SocketMonitor(zmq::context_t& context, zmq::socket_t& watched,
                int events = ZMQ_EVENT_ALL);
  ~SocketMonitor();
  SocketMonitor(const SocketMonitor&) = delete;
  SocketMonitor& operator=(const SocketMonitor&) = delete;

  // For the owner's poll set.
  zmq::socket_t& socket() { return events_; }
  zmq_pollitem_t pollitem() { return {events_.handle(), 0, ZMQ_POLLIN, 0}; }

  // Decodes (and logs) every event already queued, without blocking;
  // returns how many.
  std::size_t drain(const std::function<void(const MonitorEvent&)>& on_event);

  // Polls until `predicate` holds for an event or `deadline_ms` passes.
  // Events seen on the way are logged and passed to the predicate too.
  bool wait_for(const std::function<bool(const MonitorEvent&)>& predicate,
                int deadline_ms);

 private:
  // One decoded (and logged) event, or nullopt when none is queued.
  std::optional<MonitorEvent> next_event();

  void* watched_;  // the watched socket's handle, to stop monitoring
  zmq::socket_t events_;
};

}  // namespace slurp::bus
