// The node shell: where the bus, the security policy, the audit log and the
// (sans-IO) services meet. It owns the ZeroMQ context, the ZAP
// authenticator and the api ROUTER socket, and runs one event loop.
//
// Order at start (fail closed): load keys -> start ZAP -> bind api. A
// request is decoded, then authorized by the role ZAP bound to the sender's
// key, then handled; every failure is answered with a typed error and
// written to the log, and rejections to the audit log.
//
// Threads: create and run() on one thread; the ZAP authenticator has its own
// thread; stop comes from the signal flags (SIGTERM/SIGINT) or request_stop()
// (any thread).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "bus/socket_monitor.h"
#include "bus/zap_authenticator.h"
#include "protocol/result.h"
#include "src/node/api_service.h"
#include "src/node/node_options.h"
#include "src/security/audit_log.h"

namespace slurp::node {

class Node {
 public:
  // Loads keys, opens the audit log, starts ZAP and binds the api socket.
  static Result<std::unique_ptr<Node>> start(const NodeOptions& options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Serves until a stop is requested; returns the process exit status.
  int run();
  void request_stop() { stop_.store(true); }
  const std::string& api_endpoint() const { return api_endpoint_; }

 private:
  explicit Node(const NodeOptions& options);
  Status open(const NodeOptions& options);
  void serve_api();
  void on_api_event(const bus::MonitorEvent& event);
  void handle_request(std::vector<zmq::message_t>& frames,
                      const std::string& user_id, std::optional<Role> role);
  void reply(const zmq::message_t& routing_id, bool with_delimiter,
             const Message& message);
  void audit(std::string_view kind, std::string_view actor,
             std::string_view detail);

  std::string node_id_;
  std::atomic<bool> stop_{false};
  zmq::context_t context_;
  std::unique_ptr<security::AuditLog> audit_log_;
  std::unique_ptr<bus::ZapAuthenticator> zap_;
  zmq::socket_t api_;
  // Declared after api_ so it is destroyed first (it stops monitoring api_).
  std::unique_ptr<bus::SocketMonitor> api_monitor_;
  std::string api_endpoint_;
  ApiService api_service_;
};

}  // namespace slurp::node
