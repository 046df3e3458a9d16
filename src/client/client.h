// The public client library: what slurpctl, slurp-monitor and any C++ user
// call to talk to a node's api socket. It speaks protocol/PROTOCOL.md over a
// DEALER socket with CURVE (or plaintext only when asked for --insecure).
//
// Threads: a Client owns a ZeroMQ socket, so it belongs to the thread that
// made it; use one Client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "bus/curve_keys.h"
#include "bus/socket_monitor.h"
#include "protocol/messages.h"
#include "protocol/result.h"

namespace slurp::client {

struct ClientOptions {
  std::string endpoint;           // a node's api, e.g. tcp://127.0.0.1:7101
  std::string server_public_z85;  // that node's public key
  bus::CurveKeyPair keys;         // ours; its public half must be authorized
  bool insecure = false;          // plaintext: only against --insecure nodes
  std::chrono::milliseconds timeout{5000};  // per call
};

class Client {
 public:
  // Makes the socket and starts connecting; does not wait for the peer.
  static Result<std::unique_ptr<Client>> connect(zmq::context_t& context,
                                                 ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` (its `id` is set here) and waits for the reply with the
  // same id. An `error` reply comes back as that Error; no reply within the
  // timeout is ErrorCode::timeout.
  Result<Message> call(Message request);

  Result<Pong> ping();
  Result<StatusReply> status(bool stale = false);

 private:
  Client(zmq::context_t& context, zmq::socket_t socket, ClientOptions options);
  template <class Reply>
  Result<Reply> call_for(Message request);
  // Waits for `events` on the socket until the deadline; a refused
  // handshake ends the wait early with ErrorCode::unauthenticated.
  Status wait_for_socket(short events,
                         std::chrono::steady_clock::time_point deadline,
                         const char* what);

  zmq::socket_t socket_;
  // After socket_: destroyed first. Turns a refused handshake into a prompt,
  // specific error instead of a timeout.
  bus::SocketMonitor monitor_;
  ClientOptions options_;
  std::uint64_t next_id_ = 1;
};

}  // namespace slurp::client
