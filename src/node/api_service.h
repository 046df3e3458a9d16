// Answers client requests that have already been decoded and authorized.
// Sans-IO: no sockets, no clock (the caller passes now_ms), no files, so it
// is tested directly. Until consensus lands a node runs standalone: it
// serves ping and status and answers the rest with `unavailable`.
//
// Thread: the node thread only.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/messages.h"
#include "protocol/role.h"

namespace slurp::node {

// The authenticated sender of a request (from ZAP, never from the message).
struct Peer {
  std::string name;
  Role role = Role::observer;
};

class ApiService {
 public:
  explicit ApiService(std::string node_id);

  // The reply to `request`; always a Message (errors are ErrorReply).
  Message handle(const Peer& peer, const Message& request,
                 std::uint64_t now_ms);

 private:
  std::string node_id_;
};

}  // namespace slurp::node
