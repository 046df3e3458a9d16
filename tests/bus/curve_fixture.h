// A CURVE server as a node runs it (ZAP handler bound first, ROUTER with
// CurveServer + zap domain, a monitor) plus key pairs for clients, for the
// acceptance tests. Everything lives on the test's thread except the ZAP
// handler's own thread.
#pragma once

#include <memory>

#include "bus/authorized_keys.h"
#include "bus/curve_keys.h"
#include "bus/socket.h"
#include "bus/socket_monitor.h"
#include "bus/zap_authenticator.h"
#include "bus_test_support.h"

namespace slurp::bus::testing {

inline CurveKeyPair fresh_keys() {
  Result<CurveKeyPair> keys = generate_curve_keypair();
  if (!keys) throw std::runtime_error(keys.error().describe());
  return *keys;
}

struct CurveServerFixture {
  explicit CurveServerFixture(std::string zap_domain = "slurp",
                              bool allow_null = false) {
    keys_path = dir / "authorized_keys";
    write_text(keys_path, "# test keys\n" + alice.public_z85 +
                              " alice admin\n" + carol.public_z85 +
                              " carol worker\n");
    Result<AuthorizedKeys> keys = load_authorized_keys(keys_path);
    if (!keys) throw std::runtime_error(keys.error().describe());
    zap = std::make_unique<ZapAuthenticator>(context, std::move(*keys),
                                             keys_path, "slurp", allow_null,
                                             audit.callback());
    Status started = zap->start();
    if (!started) throw std::runtime_error(started.error().describe());
    server = make_socket(context, zmq::socket_type::router,
                         CurveServer{server_keys.public_z85,
                                     server_keys.secret_z85, zap_domain});
    server_monitor = std::make_unique<SocketMonitor>(context, server);
    endpoint = bind_ephemeral(server);
  }

  zmq::socket_t client(const CurveKeyPair& keys, SocketOptions options = {}) {
    zmq::socket_t socket = make_socket(
        context, zmq::socket_type::dealer,
        CurveClient{keys.public_z85, keys.secret_z85, server_keys.public_z85},
        options);
    return socket;
  }

  // Destroyed in reverse: monitor before server, everything before context.
  TempDir dir;
  zmq::context_t context;
  CurveKeyPair server_keys = fresh_keys();
  CurveKeyPair alice = fresh_keys();  // admin
  CurveKeyPair carol = fresh_keys();  // worker
  CurveKeyPair bob = fresh_keys();    // not authorized
  std::filesystem::path keys_path;
  AuditLog audit;
  std::unique_ptr<ZapAuthenticator> zap;
  zmq::socket_t server;
  std::unique_ptr<SocketMonitor> server_monitor;
  std::string endpoint;
};

inline bool is_handshake_failure(const MonitorEvent& event) {
  return event.id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
         event.id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
         event.id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
}

}  // namespace slurp::bus::testing
