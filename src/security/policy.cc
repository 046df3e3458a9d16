#include "src/security/policy.h"

#include <initializer_list>
#include <string>

namespace slurp::security {
namespace {

using R = Role;

// A set of roles as a bit mask (a struct holding an initializer_list would
// dangle once returned).
constexpr unsigned mask(std::initializer_list<Role> roles) {
  unsigned bits = 0;
  for (Role r : roles) bits |= 1u << static_cast<unsigned>(r);
  return bits;
}

constexpr unsigned kEveryone =
    mask({R::observer, R::developer, R::worker, R::node, R::admin});
constexpr unsigned kReaders =
    mask({R::observer, R::developer, R::node, R::admin});
constexpr unsigned kWriters = mask({R::developer, R::admin});
constexpr unsigned kNodes = mask({R::node});
constexpr unsigned kNotARequest = 0;

// Reads are open to every role that looks at the cluster; writes to the
// roles that own work; cluster-internal RPCs to nodes only. Workers deliver
// results and may ping or read status to find a leader.
struct AllowedRoles {
  unsigned operator()(const Ping&) { return kEveryone; }
  unsigned operator()(const StatusRequest&) { return kEveryone; }
  unsigned operator()(const GetContext&) { return kReaders; }
  unsigned operator()(const ListContexts&) { return kReaders; }
  unsigned operator()(const JobQuery&) { return kReaders; }
  unsigned operator()(const FetchEvents&) { return kReaders; }
  unsigned operator()(const Generate&) { return kWriters; }
  unsigned operator()(const Cancel&) { return kWriters; }
  unsigned operator()(const UpdateContext&) { return kWriters; }
  unsigned operator()(const Vote&) { return kNodes; }
  unsigned operator()(const VoteReply&) { return kNodes; }
  unsigned operator()(const Append&) { return kNodes; }
  unsigned operator()(const AppendReply&) { return kNodes; }
  unsigned operator()(const SnapshotChunk&) { return kNodes; }
  unsigned operator()(const SnapshotReply&) { return kNodes; }
  unsigned operator()(const TimeoutNow&) { return kNodes; }
  unsigned operator()(const Forward&) { return kNodes; }
  unsigned operator()(const ForwardReply&) { return kNodes; }
  // A node's own audit head; the leader also checks `node` is the sender.
  unsigned operator()(const AuditAnchorRequest&) { return kNodes; }
  unsigned operator()(const ResultBatch&) { return mask({R::worker, R::node}); }
  unsigned operator()(const auto&) { return kNotARequest; }
};

unsigned allowed_roles(const Message& m) {
  return std::visit(AllowedRoles{}, m);
}

}  // namespace

Status authorize(Role role, const Message& request) {
  const unsigned allowed = allowed_roles(request);
  const std::string type(message_type(request));
  if (allowed == kNotARequest) {
    return make_error(ErrorCode::bad_request, "'" + type + "' is not a request",
                      "type");
  }
  if ((allowed & mask({role})) == 0) {
    return make_error(ErrorCode::forbidden,
                      "role '" + std::string(role_name(role)) +
                          "' may not send '" + type + "'");
  }
  return ok_status();
}

}  // namespace slurp::security
