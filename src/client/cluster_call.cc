#include "src/client/cluster_call.h"

#include <cassert>

namespace slurp::client {
namespace {

// Answers after which another node may well do better.
bool worth_another_node(const ErrorReply& error) {
  const auto code = error_code_from_number(error.code);
  if (!code) return false;
  switch (*code) {
    case ErrorCode::unavailable:
    case ErrorCode::no_quorum: return true;
    case ErrorCode::not_leader: return !error.leader_endpoint;
    default: return false;
  }
}

// Where a not_leader hint points, or nullopt when it cannot be followed.
std::optional<NodeTarget> hinted_leader(const ToolConfig& tool,
                                        const ErrorReply& error) {
  const auto code = error_code_from_number(error.code);
  if (code != ErrorCode::not_leader || !error.leader_endpoint) {
    return std::nullopt;
  }
  if (error.leader) {
    if (const NodeTarget* known = tool.find_node(*error.leader)) return *known;
  }
  // Without its key we cannot do CURVE; plaintext needs only the endpoint.
  if (!tool.insecure) return std::nullopt;
  return NodeTarget{
      error.leader.value_or(""), *error.leader_endpoint, "", "", "", ""};
}

class Attempts {
 public:
  Attempts(zmq::context_t& context, const ToolConfig& tool,
           const Message& request, const ClusterCallOptions& options)
      : context_(context), tool_(tool), request_(request), options_(options) {}

  // The node's answer, or nullopt after recording why it gave none.
  std::optional<ClusterAnswer> ask(const NodeTarget& node) {
    auto client = Client::connect(
        context_, tool_.client_options(node, options_.timeout_per_node,
                                       options_.connect_timeout_per_node));
    if (!client) return failed(node, client.error());
    auto reply = (*client)->exchange(request_);
    if (!reply) return failed(node, reply.error());
    return ClusterAnswer{node.id, node.api_endpoint, std::move(*reply)};
  }

  Result<ClusterAnswer> none_answered() const {
    Error error = last_error_;
    error.reason = "no node answered: " + failures_;
    return error;
  }

 private:
  std::nullopt_t failed(const NodeTarget& node, const Error& error) {
    if (!failures_.empty()) failures_ += "; ";
    failures_ += (node.id.empty() ? node.api_endpoint : node.id) + ": " +
                 error.describe();
    last_error_ = error;
    return std::nullopt;
  }

  zmq::context_t& context_;
  const ToolConfig& tool_;
  const Message& request_;
  const ClusterCallOptions& options_;
  std::string failures_;
  Error last_error_ = make_error(ErrorCode::timeout, "");
};

}  // namespace

Result<ClusterAnswer> call_cluster(zmq::context_t& context,
                                   const ToolConfig& tool,
                                   const Message& request,
                                   const ClusterCallOptions& options) {
  std::vector<NodeTarget> order = tool.nodes;
  if (options.node) {
    const NodeTarget* only = tool.find_node(*options.node);
    assert(only != nullptr);
    order = {*only};
  }
  Attempts attempts(context, tool, request, options);
  std::optional<ClusterAnswer> last_refusal;
  bool followed = false;
  for (const NodeTarget& node : order) {
    std::optional<ClusterAnswer> answer = attempts.ask(node);
    if (!answer) continue;
    const auto* error = std::get_if<ErrorReply>(&answer->reply);
    if (error == nullptr) return std::move(*answer);
    if (!followed) {
      if (auto leader = hinted_leader(tool, *error)) {
        followed = true;  // once: two nodes pointing at each other must end
        if (auto from_leader = attempts.ask(*leader)) return *from_leader;
        last_refusal = std::move(answer);
        continue;
      }
    }
    if (!worth_another_node(*error)) return std::move(*answer);
    last_refusal = std::move(answer);
  }
  if (last_refusal) return std::move(*last_refusal);
  return attempts.none_answered();
}

}  // namespace slurp::client
