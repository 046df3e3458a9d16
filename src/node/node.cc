#include "src/node/node.h"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <fstream>

#include "bus/authorized_keys.h"
#include "bus/curve_keys.h"
#include "bus/poll.h"
#include "bus/received_message.h"
#include "bus/signal_flags.h"
#include "bus/socket.h"
#include "protocol/codec.h"
#include "src/security/policy.h"

namespace slurp::node {
namespace {

// Requests served per loop turn before signals are checked again; bounds the
// time a flood can keep the loop from noticing SIGTERM.
constexpr std::size_t kRequestsPerTurnMax = 256;
constexpr std::chrono::milliseconds kPollTimeout{100};

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch())
          .count());
}

// Writes the bound endpoint for scripts and tests that bind port '*':
// temp file + rename, so a reader never sees half a line.
Status write_endpoint_file(const std::filesystem::path& path,
                           const std::string& endpoint) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp);
    out << endpoint << "\n";
    if (!out) {
      return make_error(ErrorCode::internal, "cannot write " + temp.string(),
                        "endpoint_file");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    return make_error(ErrorCode::internal,
                      "cannot rename to " + path.string() + ": " + ec.message(),
                      "endpoint_file");
  }
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<Node>> Node::start(const NodeOptions& options) {
  std::unique_ptr<Node> node(new Node(options));
  if (Status s = node->open(options); !s) return s.error();
  return node;
}

Node::Node(const NodeOptions& options)
    : node_id_(options.node_id), api_service_(options.node_id) {}

Node::~Node() {
  if (zap_) zap_->stop();
}

Status Node::open(const NodeOptions& options) {
  bus::CurveKeyPair keys;
  if (!options.insecure) {
    auto loaded = bus::load_keypair(options.secret_key);
    if (!loaded) return loaded.error();
    keys = *loaded;
  }
  bus::AuthorizedKeys authorized;
  if (!options.authorized_keys.empty()) {
    auto loaded = bus::load_authorized_keys(options.authorized_keys);
    if (!loaded) return loaded.error();
    authorized = std::move(*loaded);
  } else if (!options.insecure) {
    return make_error(ErrorCode::bad_request,
                      "an authorized-keys file is required without --insecure",
                      "authorized_keys");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return make_error(
        ErrorCode::internal,
        "cannot create " + options.data_dir.string() + ": " + ec.message(),
        "data_dir");
  }
  auto log =
      security::AuditLog::open((options.data_dir / "audit.log").string());
  if (!log) return log.error();
  audit_log_ = std::move(*log);

  // ZAP first: with nothing bound at the ZAP endpoint libzmq would admit
  // every CURVE peer.
  zap_ = std::make_unique<bus::ZapAuthenticator>(
      context_, std::move(authorized), options.authorized_keys,
      bus::ZapAuthenticator::default_domain, options.insecure,
      [this](const bus::AuthDecision& d) {
        std::string actor =
            d.public_key_z85.empty() ? d.name : d.public_key_z85;
        audit(d.accepted ? "auth.accepted" : "auth.refused", actor,
              d.mechanism + " from " + d.peer_address + ": " + d.reason +
                  (d.accepted ? " as " + d.name : ""));
      });
  if (Status s = zap_->start(); !s) return s;

  bus::SocketSecurity security =
      options.insecure ? bus::SocketSecurity(bus::Insecure{
                             bus::ZapAuthenticator::default_domain})
                       : bus::SocketSecurity(bus::CurveServer{
                             keys.public_z85, keys.secret_z85,
                             bus::ZapAuthenticator::default_domain});
  try {
    api_ = bus::make_socket(context_, zmq::socket_type::router, security);
    // Monitor before binding so no handshake failure goes unrecorded: a
    // plaintext client or a wrong server key fails before ZAP is asked.
    api_monitor_ = std::make_unique<bus::SocketMonitor>(
        context_, api_,
        ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_DISCONNECTED);
    api_.bind(options.api_endpoint);
    api_endpoint_ = api_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return make_error(ErrorCode::bad_request,
                      "cannot bind " + options.api_endpoint + ": " + e.what(),
                      "api");
  }
  if (!options.endpoint_file.empty()) {
    if (Status s = write_endpoint_file(options.endpoint_file, api_endpoint_);
        !s) {
      return s;
    }
  }
  spdlog::info("node {} serving api on {} ({})", node_id_, api_endpoint_,
               options.insecure ? "PLAINTEXT, --insecure" : "CURVE");
  audit("node.started", node_id_, "api " + api_endpoint_);
  return ok_status();
}

int Node::run() {
  std::array<zmq_pollitem_t, 2> items{
      zmq_pollitem_t{api_.handle(), 0, ZMQ_POLLIN, 0},
      api_monitor_->pollitem()};
  while (!stop_.load() && !bus::stop_requested()) {
    if (bus::take_reload_request()) {
      Status s = zap_->reload();
      if (s) {
        spdlog::info("authorized keys reloaded: {} keys", zap_->key_count());
      }
      audit("auth.reload", node_id_, s ? "ok" : s.error().describe());
    }
    if (bus::poll_items(items, kPollTimeout) == 0) continue;
    if (items[0].revents & ZMQ_POLLIN) serve_api();
    if (items[1].revents & ZMQ_POLLIN) {
      api_monitor_->drain(
          [this](const bus::MonitorEvent& e) { on_api_event(e); });
    }
  }
  spdlog::info("node {} stopping", node_id_);
  audit("node.stopped", node_id_, "");
  return 0;
}

void Node::serve_api() {
  for (std::size_t n = 0; n < kRequestsPerTurnMax; ++n) {
    auto received = bus::receive_message(api_);
    if (!received) return;  // drained
    if (!*received) {
      spdlog::warn("api: dropped a message: {}", received->error().describe());
      audit("request.rejected", "unknown", received->error().describe());
      continue;
    }
    bus::ReceivedMessage& message = received->value();
    if (message.rejected) {
      spdlog::warn("api: refused message from {}: {}", message.user_id,
                   message.rejected->describe());
      audit("request.rejected", message.user_id, message.rejected->describe());
      // frames[0] is the routing id; a DEALER client reads [payload].
      if (!message.frames.empty()) {
        reply(message.frames[0], false, to_error_reply(0, *message.rejected));
      }
      continue;
    }
    handle_request(message.frames, message.user_id, message.role);
  }
}

// The monitor has logged the event already; handshake failures before ZAP
// (plaintext client, wrong server key, garbage) are audited here because
// ZAP never saw them. Refusals by ZAP itself are audited by its callback.
void Node::on_api_event(const bus::MonitorEvent& event) {
  if (event.id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
      event.id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
    std::string detail(event.name);
    if (event.id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
      detail += ": ";
      detail += bus::protocol_error_name(event.value);
    }
    audit("auth.handshake_failed", event.endpoint, detail);
  }
}

void Node::handle_request(std::vector<zmq::message_t>& frames,
                          const std::string& user_id,
                          std::optional<Role> role) {
  // [routing id, payload] from DEALER; [routing id, "", payload] from REQ.
  const bool with_delimiter = frames.size() == 3 && frames[1].size() == 0;
  auto refuse = [&](std::uint64_t id, const Error& error) {
    spdlog::warn("api: refused request from {}: {}", user_id, error.describe());
    audit("request.rejected", user_id, error.describe());
    reply(frames[0], with_delimiter, to_error_reply(id, error));
  };
  if (frames.size() != 2 && !with_delimiter) {
    refuse(0, make_error(ErrorCode::bad_request,
                         "expected frames [payload] or ['', payload], got " +
                             std::to_string(frames.size() - 1)));
    return;
  }
  const zmq::message_t& body = frames.back();
  std::string_view payload(body.data<char>(), body.size());
  if (!role) {
    refuse(peek_request_id(payload),
           make_error(ErrorCode::unauthenticated,
                      "connection has no authenticated role"));
    return;
  }
  auto request = decode(payload);
  if (!request) {
    refuse(peek_request_id(payload), request.error());
    return;
  }
  if (Status s = security::authorize(*role, *request); !s) {
    std::uint64_t id = peek_request_id(payload);
    refuse(id, s.error());
    return;
  }
  Peer peer{user_id, *role};
  reply(frames[0], with_delimiter,
        api_service_.handle(peer, *request, now_ms()));
}

void Node::reply(const zmq::message_t& routing_id, bool with_delimiter,
                 const Message& message) {
  const std::string payload = encode(message);
  try {
    api_.send(zmq::buffer(routing_id.data(), routing_id.size()),
              zmq::send_flags::sndmore);
    if (with_delimiter) api_.send(zmq::message_t(), zmq::send_flags::sndmore);
    api_.send(zmq::buffer(payload), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    // router_mandatory: the client left before its answer was ready.
    spdlog::debug("api: reply not delivered: {}", e.what());
  }
}

void Node::audit(std::string_view kind, std::string_view actor,
                 std::string_view detail) {
  if (Status s = audit_log_->append(kind, actor, detail); !s) {
    spdlog::error("audit log: {}", s.error().describe());
  }
}

}  // namespace slurp::node
