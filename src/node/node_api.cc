// What arrives on the api ROUTER (client requests, peers' consensus
// messages and forwards) and on the peer DEALERs (forward replies).
#include <spdlog/spdlog.h>

#include "bus/received_message.h"
#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/socket_messages.h"
#include "src/clock/clocks.h"
#include "src/node/node.h"
#include "src/security/policy.h"

namespace slurp::node {
namespace {

Bytes to_bytes(const zmq::message_t& frame) {
  const auto* p = frame.data<std::uint8_t>();
  return Bytes(p, p + frame.size());
}

}  // namespace

// Reads what arrived on the api socket into the intake, connection by
// connection. A connection dropped for not reading its replies is ignored;
// one over its intake budget gets a short `unavailable` at once (through
// the outbox, so a flooder that does not read is soon dropped as well).
void Node::drain_api() {
  const std::uint64_t steady_now = steady_now_ms();
  const std::uint64_t until = steady_now + limits::serve_ms_per_turn_max;
  for (std::size_t n = 0; n < limits::api_reads_per_turn_max; ++n) {
    if ((n & 63) == 63 && steady_now_ms() >= until) return;
    auto received = bus::receive_message(api_);
    if (!received) return;  // drained
    if (!*received) {
      // Not even a routing id to answer: counted in the audit aggregate.
      audit_refusal("request.rejected", "unknown", received->error());
      continue;
    }
    bus::ReceivedMessage& message = received->value();
    if (message.frames.empty()) continue;
    Bytes peer = to_bytes(message.frames[0]);
    if (outbox_.dropped(peer, steady_now)) continue;
    const bool node = message.role == Role::node;
    std::size_t bytes = 0;
    for (const zmq::message_t& f : message.frames) bytes += f.size();
    FairIntake<bus::ReceivedMessage>::Budget budget{
        node ? limits::intake_total_messages_max : limits::intake_messages_max,
        node ? limits::intake_total_bytes_max : limits::intake_bytes_max};
    if (!intake_.admit(peer, message, bytes, budget)) {
      ++intake_refused_;
      const bool delimiter =
          message.frames.size() == 3 && message.frames[1].size() == 0;
      std::string_view body(message.frames.back().data<char>(),
                            message.frames.back().size());
      Error busy = make_error(
          ErrorCode::unavailable,
          "too many requests waiting from this connection (at most " +
              std::to_string(budget.messages_max) +
              "); read the replies, then retry");
      audit_refusal("request.rejected", message.user_id, busy);
      send_route(ReplyRoute{std::move(peer), delimiter, {}, node},
                 encode(to_error_reply(peek_request_id(body), busy)));
    }
  }
}

// Serves what waits in the intake, one connection after another, for at
// most api_requests_per_turn_max requests and serve_ms_per_turn_max: a
// flood must not keep Raft from ticking or the loop from seeing SIGTERM.
void Node::serve_api() {
  const std::uint64_t until = steady_now_ms() + limits::serve_ms_per_turn_max;
  for (std::size_t n = 0; n < limits::api_requests_per_turn_max; ++n) {
    auto next = intake_.next();
    if (!next) return;
    serve_api_message(*next);
    if (steady_now_ms() >= until) return;
  }
}

void Node::serve_api_message(bus::ReceivedMessage& message) {
  if (message.rejected) {
    audit_refusal("request.rejected", message.user_id, *message.rejected);
    publish_refusal(message.user_id, *message.rejected);
    // frames[0] is the routing id; a DEALER client reads [payload].
    send_route(
        ReplyRoute{
            to_bytes(message.frames[0]), false, {}, message.role == Role::node},
        encode(to_error_reply(0, *message.rejected)));
    return;
  }
  handle_api_message(message.frames, message.user_id, message.role);
}

void Node::handle_api_message(std::vector<zmq::message_t>& frames,
                              const std::string& user_id,
                              std::optional<Role> role) {
  // [routing id, payload] from DEALER; [routing id, "", payload] from REQ.
  const bool with_delimiter = frames.size() == 3 && frames[1].size() == 0;
  ClientRequest request;
  request.route =
      ReplyRoute{to_bytes(frames[0]), with_delimiter, {}, role == Role::node};
  request.requester = user_id;
  request.received_ms = steady_now_ms();
  if (frames.size() != 2 && !with_delimiter) {
    refuse(request, make_error(ErrorCode::bad_request,
                               "expected frames [payload] or ['', payload], "
                               "got " +
                                   std::to_string(frames.size() - 1)));
    return;
  }
  const zmq::message_t& body = frames.back();
  request.payload.assign(body.data<char>(), body.size());
  request.id = peek_request_id(request.payload);
  if (!role) {
    refuse(request, make_error(ErrorCode::unauthenticated,
                               "connection has no authenticated role"));
    return;
  }
  request.role = *role;
  auto decoded = decode(request.payload);
  if (!decoded) {
    refuse(request, decoded.error());
    return;
  }
  if (Status s = security::authorize(*role, *decoded); !s) {
    refuse(request, s.error());
    return;
  }
  auto sorted = as_api_message(std::move(*decoded));
  if (!sorted) {
    // Replies, events and job batches travel on other sockets.
    refuse(request, sorted.error());
    return;
  }
  struct Handler {
    Node& node;
    ClientRequest& request;
    const std::string& user_id;
    void operator()(ClientRequestMessage& m) {
      if (node.metrics_) node.metrics_->request_received(m.index());
      request.request = std::move(m);
      request.decoded = true;
      node.route_request(std::move(request));
    }
    void operator()(ConsensusMessage& m) {
      node.step_raft(user_id, std::move(m));
    }
    void operator()(Forward& m) {
      node.handle_forward(request.route, user_id, m);
    }
    // A follower passing on what a worker pushed to it (or a worker that
    // talks to the api directly): same handling as the results socket.
    void operator()(ResultBatch& m) { node.accept_results(m, request.payload); }
  };
  std::visit(Handler{*this, request, user_id}, *sorted);
}

// A follower relays a client's request. The follower authenticated as a
// node, so the requester and role it names are trusted; the inner request
// is still decoded and authorized here against that role.
void Node::handle_forward(const ReplyRoute& peer_route, const std::string& peer,
                          const Forward& forward) {
  ClientRequest request;
  request.route = peer_route;
  request.route.delimiter = false;
  request.route.forward_id = forward.forward_id;
  request.requester = forward.requester;
  request.received_ms = steady_now_ms();
  request.payload.assign(forward.request.begin(), forward.request.end());
  request.id = peek_request_id(request.payload);
  auto role = role_from_name(forward.requester_role);
  if (!role) {
    refuse(request, make_error(ErrorCode::bad_request,
                               "unknown role '" + forward.requester_role + "'",
                               "requester_role"));
    return;
  }
  request.role = *role;
  auto decoded = decode(request.payload);
  if (!decoded) {
    refuse(request, decoded.error());
    return;
  }
  if (Status s = security::authorize(*role, *decoded); !s) {
    refuse(request, s.error());
    return;
  }
  auto inner = as_client_request(std::move(*decoded));
  if (!inner) {
    refuse(request, make_error(ErrorCode::bad_request,
                               "a forward must carry a client request: " +
                                   inner.error().reason,
                               "request"));
    return;
  }
  if (metrics_) metrics_->request_received(inner->index());
  request.request = std::move(*inner);
  request.decoded = true;
  if (raft_->role() != consensus::RaftRole::leader) {
    // No chains: the follower that sent it re-routes on not_leader.
    spdlog::debug("forward {} from {}: not leader", forward.forward_id, peer);
    reply_to(request, not_leader_reply(request.id));
    return;
  }
  serve_as_leader(std::move(request));
}

// Forward replies come back on the DEALER the forward went out on.
void Node::serve_peer_replies() {
  const std::uint64_t until = steady_now_ms() + limits::serve_ms_per_turn_max;
  for (auto& [peer, socket] : peers_) {
    for (std::size_t n = 0; n < limits::api_requests_per_turn_max; ++n) {
      if (steady_now_ms() >= until) return;  // the rest next turn
      auto received = bus::receive_message(socket);
      if (!received) break;
      if (!*received || (*received)->rejected ||
          (*received)->frames.size() != 1) {
        spdlog::warn("from {}: dropped a malformed message", peer);
        continue;
      }
      const zmq::message_t& frame = (*received)->frames[0];
      auto decoded = decode(std::string_view(frame.data<char>(), frame.size()));
      auto only =
          decoded ? as_only<ForwardReply>(std::move(*decoded), "peer DEALER")
                  : Result<ForwardReply>(decoded.error());
      if (!only) {
        spdlog::warn("from {}: {}", peer, only.error().describe());
        continue;
      }
      const ForwardReply& fr = *only;
      ClientRequest* forwarded = requests_.forwarded(fr.forward_id);
      if (forwarded == nullptr) continue;  // answered or given up
      std::string payload(fr.reply.begin(), fr.reply.end());
      auto reply = decode(payload);
      if (!reply) {
        spdlog::warn("from {}: undecodable reply to forward {}", peer,
                     fr.forward_id);
        continue;
      }
      ClientRequest& request = *forwarded;
      if (auto* e = std::get_if<ErrorReply>(&*reply);
          e && e->code == static_cast<std::uint64_t>(ErrorCode::not_leader)) {
        // It lost leadership before our forward arrived: try again once our
        // own view has caught up, a little later.
        ClientRequest again = *requests_.take_forwarded(fr.forward_id);
        again.not_before_ms =
            steady_now_ms() +
            options_.timing.tick_ms * options_.timing.heartbeat_ticks;
        hold(std::move(again));
        continue;
      }
      const bool is_done = std::holds_alternative<JobDone>(*reply);
      const bool waits = std::holds_alternative<Generate>(request.request) &&
                         std::get<Generate>(request.request).wait &&
                         std::holds_alternative<GenerateReply>(*reply);
      // After a leader change a waiting generate is forwarded again to
      // register with the new leader; its second generate_reply is not news.
      if (!(request.replied && !is_done)) send_route(request.route, payload);
      if (waits && !is_done) {
        request.replied = true;
      } else {
        (void)requests_.take_forwarded(fr.forward_id);
      }
    }
  }
}

}  // namespace slurp::node
