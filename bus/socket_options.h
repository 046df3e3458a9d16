// What a socket is configured with, and the one place that applies it.
// Every option slurp relies on is set explicitly, so no behaviour depends on
// a libzmq default that might change between versions. Defaults come from
// protocol/limits.h. Values are plain data; any thread may build them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <zmq.hpp>

#include "protocol/limits.h"
#include "protocol/result.h"

namespace slurp::bus {

// A socket that binds and authenticates its peers through ZAP.
struct CurveServer {
  std::string public_z85;
  std::string secret_z85;
  std::string zap_domain;
};

// A socket that connects to a CurveServer whose public key it knows.
struct CurveClient {
  std::string public_z85;
  std::string secret_z85;
  std::string server_public_z85;
};

// Plaintext, for --insecure only; making one logs a warning every time. A
// server that sets zap_domain still sends its peers through ZAP, which
// admits them (when allowed) as user "insecure"; without it they arrive
// with no User-Id at all.
struct Insecure {
  std::string zap_domain;
};

using SocketSecurity = std::variant<CurveServer, CurveClient, Insecure>;

struct SocketOptions {
  // 0: close() discards unsent messages at once; nothing slurp sends relies
  // on lingering (replies are retried, jobs are leased).
  int linger_ms = limits::socket_linger_ms;
  int send_hwm_messages = limits::socket_send_hwm_messages;
  // 0: unbounded, for a socket its owner drains into bounded queues of its
  // own every turn (the node's api: src/node/fair_intake.h says why).
  int receive_hwm_messages = limits::socket_receive_hwm_messages;
  // libzmq drops a connection that sends a larger frame (ZMQ_MAXMSGSIZE).
  // Frames between limits::message_bytes_max and this are received and
  // answered with too_large by receive_message's caller.
  std::int64_t message_bytes_max =
      static_cast<std::int64_t>(limits::socket_frame_bytes_max);
  // Queue only to peers whose handshake completed. Unset: on for DEALER and
  // PUSH (they connect; a message must not wait in a dead peer's pipe), off
  // otherwise.
  std::optional<bool> immediate;
  // The interval actually set is jittered into [base, 1.5 * base) per
  // socket, so peers of a restarted node do not reconnect in lockstep.
  int reconnect_interval_ms = limits::reconnect_interval_ms;
  int reconnect_interval_ms_max = limits::reconnect_interval_ms_max;
  // ZMTP heartbeats (PING/PONG). Off on sockets that face clients and
  // workers: libzmq 4.3.4 aborts when a heartbeat fires on a connection
  // whose input was stopped and that then failed (libzmq #3937, #4364).
  // Those sockets rely on TCP keepalive and on clients' own pings.
  bool zmtp_heartbeats = true;
  int heartbeat_interval_ms = limits::zmtp_heartbeat_interval_ms;
  int heartbeat_timeout_ms = limits::zmtp_heartbeat_timeout_ms;
  // Tells the peer to drop us after this much silence; same as our timeout.
  int heartbeat_ttl_ms = limits::zmtp_heartbeat_timeout_ms;
  int handshake_interval_ms = limits::handshake_interval_ms;
  // The kernel's TCP buffers (SO_SNDBUF / SO_RCVBUF) for this socket's
  // connections; 0: the kernel's default, which autotunes to megabytes.
  // Set where messages queued in the kernel must stay few (jobs: a job
  // waiting there is leased but not being worked on).
  int send_buffer_bytes = 0;
  int receive_buffer_bytes = 0;
  int tcp_keepalive_idle_s = limits::tcp_keepalive_idle_s;
  int tcp_keepalive_interval_s = limits::tcp_keepalive_interval_s;
  int tcp_keepalive_count = limits::tcp_keepalive_count;
};

// Rejects values config must not choose: non-positive intervals, HWMs or
// sizes, a message size over the wire limit, a max reconnect interval below
// the jittered base. make_socket asserts the options pass.
Status validate_socket_options(const SocketOptions& options);

// A random interval in [base_ms, base_ms + base_ms / 2).
int jittered_interval_ms(int base_ms);

// Sets every option above (and the ROUTER-only router_mandatory) on
// `socket`, which must be fresh: before bind/connect.
void apply_socket_options(zmq::socket_t& socket, zmq::socket_type type,
                          const SocketOptions& options);
// Sets the mechanism and keys (and zap_domain on servers).
void apply_socket_security(zmq::socket_t& socket, zmq::socket_type type,
                           const SocketSecurity& security);

}  // namespace slurp::bus
