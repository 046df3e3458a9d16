#include "bus/socket_monitor.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstring>

#include "bus/poll.h"

namespace slurp::bus {

namespace {

std::atomic<std::uint64_t> monitor_endpoint_counter{0};

// libzmq 4.3 event: frame 1 = uint16 id + uint32 value in native byte
// order (6 bytes), frame 2 = the endpoint.
constexpr std::size_t event_header_bytes = 6;

// Anyone can fail handshakes at will: at most this many warnings a second
// per process, the rest at debug level (the node's audit log counts them).
constexpr int kHandshakeWarningsPerSecond = 20;

bool handshake_warning_allowed() {
  static std::atomic<std::int64_t> window_s{0};
  static std::atomic<int> in_window{0};
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count();
  if (window_s.exchange(now_s) != now_s) in_window = 0;
  return in_window++ < kHandshakeWarningsPerSecond;
}

void log_event(const MonitorEvent& event) {
  const bool failed = event.id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
                      event.id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                      event.id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
                      event.id == ZMQ_EVENT_DISCONNECTED;
  if (failed && !handshake_warning_allowed()) {
    spdlog::debug("socket event {} on {} ({})", event.name, event.endpoint,
                  event.value);
    return;
  }
  switch (event.id) {
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      spdlog::warn("handshake failed on {}: errno {}", event.endpoint,
                   event.value);
      break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      spdlog::warn("handshake failed on {}: protocol error {}", event.endpoint,
                   protocol_error_name(event.value));
      break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      spdlog::warn("handshake failed on {}: refused by authentication ({})",
                   event.endpoint, event.value);
      break;
    case ZMQ_EVENT_DISCONNECTED:
      spdlog::info("disconnected: {}", event.endpoint);
      break;
    default:
      spdlog::debug("socket event {} on {} ({})", event.name, event.endpoint,
                    event.value);
  }
}

}  // namespace

std::string_view monitor_event_name(std::uint16_t id) {
  switch (id) {
    case ZMQ_EVENT_CONNECTED: return "connected";
    case ZMQ_EVENT_CONNECT_DELAYED: return "connect_delayed";
    case ZMQ_EVENT_CONNECT_RETRIED: return "connect_retried";
    case ZMQ_EVENT_LISTENING: return "listening";
    case ZMQ_EVENT_BIND_FAILED: return "bind_failed";
    case ZMQ_EVENT_ACCEPTED: return "accepted";
    case ZMQ_EVENT_ACCEPT_FAILED: return "accept_failed";
    case ZMQ_EVENT_CLOSED: return "closed";
    case ZMQ_EVENT_CLOSE_FAILED: return "close_failed";
    case ZMQ_EVENT_DISCONNECTED: return "disconnected";
    case ZMQ_EVENT_MONITOR_STOPPED: return "monitor_stopped";
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      return "handshake_failed_no_detail";
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return "handshake_succeeded";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      return "handshake_failed_protocol";
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return "handshake_failed_auth";
    default: return "unknown";
  }
}

std::string_view protocol_error_name(std::uint32_t value) {
  switch (value) {
    case ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED: return "zmtp_unspecified";
    case ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND:
      return "unexpected_command";
    case ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE: return "invalid_sequence";
    case ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE: return "key_exchange";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED:
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE:
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO:
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE:
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR:
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY:
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME:
      return "malformed_command";
    case ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA: return "invalid_metadata";
    case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: return "cryptographic";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
      return "mechanism_mismatch";
    case ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED: return "zap_unspecified";
    case ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY: return "zap_malformed_reply";
    case ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID: return "zap_bad_request_id";
    case ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION: return "zap_bad_version";
    case ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE:
      return "zap_invalid_status_code";
    case ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA: return "zap_invalid_metadata";
    default: return "unknown";
  }
}

SocketMonitor::SocketMonitor(zmq::context_t& context, zmq::socket_t& watched,
                             int events)
    : watched_(watched.handle()), events_(context, zmq::socket_type::pair) {
  std::string endpoint = "inproc://slurp-monitor-" +
                         std::to_string(monitor_endpoint_counter.fetch_add(1));
  if (zmq_socket_monitor(watched_, endpoint.c_str(), events) != 0) {
    throw zmq::error_t();
  }
  events_.set(zmq::sockopt::linger, 0);
  // libzmq binds its end inside zmq_socket_monitor; events raised before
  // this connect are dropped, so monitor before bind/connect.
  events_.connect(endpoint);
}

SocketMonitor::~SocketMonitor() {
  zmq_socket_monitor(watched_, nullptr, 0);
}

std::optional<MonitorEvent> SocketMonitor::next_event() {
  for (;;) {
    zmq::message_t header;
    if (!events_.recv(header, zmq::recv_flags::dontwait)) return std::nullopt;
    zmq::message_t endpoint;
    bool has_endpoint =
        header.more() && events_.recv(endpoint, zmq::recv_flags::dontwait);
    // Any further frames (a future event format) are not ours to read.
    for (bool more = has_endpoint && endpoint.more(); more;) {
      zmq::message_t extra;
      if (!events_.recv(extra, zmq::recv_flags::dontwait)) break;
      more = extra.more();
    }
    if (header.size() != event_header_bytes || !has_endpoint) {
      spdlog::warn("socket monitor: malformed event ({} bytes)", header.size());
      continue;
    }
    MonitorEvent event;
    std::memcpy(&event.id, header.data(), sizeof event.id);
    std::memcpy(&event.value,
                static_cast<const char*>(header.data()) + sizeof event.id,
                sizeof event.value);
    event.name = monitor_event_name(event.id);
    event.endpoint = endpoint.to_string();
    log_event(event);
    return event;
  }
}

std::size_t SocketMonitor::drain(
    const std::function<void(const MonitorEvent&)>& on_event) {
  std::size_t count = 0;
  while (std::optional<MonitorEvent> event = next_event()) {
    ++count;
    if (on_event) on_event(*event);
  }
  return count;
}

bool SocketMonitor::wait_for(
    const std::function<bool(const MonitorEvent&)>& predicate,
    int deadline_ms) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(deadline_ms);
  for (;;) {
    // Stops at the first match; later events stay queued for the next call.
    while (std::optional<MonitorEvent> event = next_event()) {
      if (predicate(*event)) return true;
    }
    // Rounded up: zmq_poll may wake a little early, and a truncated
    // remainder of 0 would give up before the deadline.
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    zmq_pollitem_t item = pollitem();
    poll_items({&item, 1}, left);
  }
}

}  // namespace slurp::bus
