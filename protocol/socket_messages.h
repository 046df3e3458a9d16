// What each socket may carry, as its own type, so that a handler receives
// only the messages its socket may carry and the compiler checks the rest
// (PROTOCOL.md, "Transports and sockets"):
//
//   api ROUTER   from any key: a ClientRequestMessage; from a node key
//                also a ConsensusMessage, a Forward (a follower relaying a
//                client's request) or a ResultBatch (results passed on).
//                Everything else (replies, events, job batches) is refused.
//   peer DEALER  a ForwardReply.
//   results PULL a ResultBatch.
//   jobs PULL    a JobBatch (the worker's side).
//
// decode() turns untrusted bytes into a Message; these functions sort a
// decoded Message by socket. Authorization (src/security/policy.h) still
// decides which role may send which request.
//
// Threads: pure functions; any thread.
#pragma once

#include <string_view>
#include <variant>

#include "protocol/consensus_message.h"
#include "protocol/messages.h"
#include "protocol/result.h"

namespace slurp {

// The requests a node serves, forwards or holds for a client.
using ClientRequestMessage =
    std::variant<Ping, Generate, StatusRequest, GetContext, Cancel,
                 UpdateContext, FetchEvents, ListContexts, JobQuery,
                 AuditAnchorRequest>;

// Everything the api socket carries, by the handler it goes to.
using ApiMessage =
    std::variant<ClientRequestMessage, ConsensusMessage, Forward, ResultBatch>;

// bad_request naming the type when `message` is not a client request.
Result<ClientRequestMessage> as_client_request(Message message);
// bad_request naming the type when the api socket does not carry it.
Result<ApiMessage> as_api_message(Message message);
// bad_request unless `message` is a T; `socket` names it in the error.
template <class T>
Result<T> as_only(Message message, std::string_view socket) {
  if (auto* m = std::get_if<T>(&message)) return std::move(*m);
  return make_error(ErrorCode::bad_request,
                    "'" + std::string(message_type(message)) +
                        "' is not carried on the " + std::string(socket) +
                        " socket",
                    "type");
}

// The same request as a Message (for authorization and forwarding).
Message to_message(const ClientRequestMessage& request);

}  // namespace slurp
