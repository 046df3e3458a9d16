#include "src/node/api_service.h"

#include "protocol/codec.h"

namespace slurp::node {

ApiService::ApiService(std::string node_id) : node_id_(std::move(node_id)) {}

Message ApiService::handle(const Peer& peer, const Message& request,
                           std::uint64_t now_ms) {
  if (const auto* ping = std::get_if<Ping>(&request)) {
    return Pong{ping->id, node_id_, peer.name,
                std::string(role_name(peer.role)), now_ms};
  }
  if (const auto* status = std::get_if<StatusRequest>(&request)) {
    // Standalone: no leader, no log yet. The reply is honest about it.
    StatusReply reply;
    reply.id = status->id;
    reply.node = node_id_;
    reply.members.push_back(MemberStatus{node_id_, "standalone", true, 0, 0});
    return reply;
  }
  std::uint64_t id = std::visit(
      [](const auto& m) -> std::uint64_t {
        if constexpr (requires { m.id; }) {
          return m.id;
        } else {
          return 0;
        }
      },
      request);
  return to_error_reply(
      id, make_error(ErrorCode::unavailable,
                     "this node runs standalone and does not serve '" +
                         std::string(message_type(request)) + "' yet"));
}

}  // namespace slurp::node
