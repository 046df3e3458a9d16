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
  // How long a call waits for the connection (CURVE handshake done) before
  // it gives up on the node; 0: the whole timeout. A shorter wait tells a
  // dead node from a slow answer, e.g. one held while no leader is known.
  std::chrono::milliseconds connect_timeout{0};
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
  // Like call, but an `error` reply is returned as the ErrorReply message,
  // with its not_leader hint (leader, leader_endpoint). An Error here means
  // the node did not answer: no connection or reply in time (timeout), a
  // refused handshake (unauthenticated), or an undecodable reply.
  Result<Message> exchange(Message request);

  // Pipelined use: send() returns the id it gave the request (after waiting
  // for the connection, within connect_timeout), and receive() returns the
  // next reply of any id, or nullopt when none came within `wait`. An
  // `error` reply comes back as an ErrorReply message, as from exchange().
  Result<std::uint64_t> send(Message request);
  Result<std::optional<Message>> receive(std::chrono::milliseconds wait);

  Result<Pong> ping();
  Result<StatusReply> status(bool stale = false);
  // Events of this node's sequence from `from_seq`; limit 0: the node's
  // default batch.
  Result<EventsReply> fetch_events(std::uint64_t from_seq,
                                   std::uint64_t limit = 0);

  const std::string& endpoint() const { return options_.endpoint; }

 private:
  Client(zmq::context_t& context, zmq::socket_t socket, ClientOptions options);
  template <class Reply>
  Result<Reply> call_for(Message request);
  // Waits for `events` on the socket until the deadline; a refused
  // handshake ends the wait early with ErrorCode::unauthenticated.
  Status wait_for_socket(short events,
                         std::chrono::steady_clock::time_point deadline,
                         std::chrono::milliseconds budget, const char* what);

  zmq::socket_t socket_;
  // After socket_: destroyed first. Turns a refused handshake into a prompt,
  // specific error instead of a timeout.
  bus::SocketMonitor monitor_;
  ClientOptions options_;
  std::uint64_t next_id_ = 1;
};

}  // namespace slurp::client
