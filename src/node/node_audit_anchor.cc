// Anchoring this node's audit log head in the replicated log (PROTOCOL.md
// "audit_anchor"): once shortly after start and then every
// audit_anchor_interval_ms, when the head moved, the node submits an
// audit_anchor request for itself through the ordinary request routing
// (a follower forwards it to the leader). The replicated state keeps the
// highest head per node, so a later cut of the file's tail is detected by
// `slurpctl audit verify --cluster`.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/record_codec.h"
#include "src/node/node.h"

namespace slurp::node {
namespace {

bool is_mac_hex(const std::string& text) {
  return text.size() == 64 &&
         text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

void Node::anchor_audit_head() {
  const std::uint64_t steady_now = steady_now_ms();
  const std::uint64_t interval = options_.limits.audit_anchor_interval_ms;
  if (next_anchor_ms_ == 0) {
    next_anchor_ms_ =
        steady_now + std::min(interval, limits::audit_anchor_first_ms);
    return;
  }
  if (steady_now < next_anchor_ms_ || stopping_ || !audit_log_) return;
  next_anchor_ms_ = steady_now + interval;
  const security::AuditHead head = audit_log_->head();
  if (head.seq == 0 ||
      (head.seq == anchor_sent_seq_ && head.mac_hex == anchor_sent_mac_)) {
    return;
  }
  anchor_sent_seq_ = head.seq;
  anchor_sent_mac_ = head.mac_hex;
  const security::AuditHead& opened = audit_log_->opened_head();
  AuditAnchorRequest anchor{
      next_anchor_id_++, options_.node_id, head.seq, head.epoch, head.mac_hex,
      // An empty file has no last record (its link's MAC is all zeros).
      opened.seq, opened.seq == 0 ? std::string() : opened.mac_hex};
  // As if a client with this node's key had sent it. The route is empty:
  // no reply is wanted (the outbox discards replies to it as unroutable).
  ClientRequest request;
  request.requester = options_.node_id;
  request.role = Role::node;
  request.payload = encode(anchor);  // forwarded to the leader unchanged
  request.id = anchor.id;
  request.received_ms = steady_now;
  request.request = std::move(anchor);
  route_request(std::move(request));
}

// The leader's admission: a node anchors only its own log, and only a
// member of the cluster has one.
void Node::serve_audit_anchor(ClientRequest request,
                              const AuditAnchorRequest& anchor) {
  if (anchor.node != request.requester) {
    refuse(request,
           make_error(ErrorCode::forbidden,
                      "a node anchors only its own audit log; " +
                          request.requester + " sent one for " + anchor.node,
                      "node"));
    return;
  }
  if (member(anchor.node) == nullptr) {
    refuse(request,
           make_error(ErrorCode::forbidden,
                      "not a member of this cluster: " + anchor.node, "node"));
    return;
  }
  if (anchor.seq == 0 || !is_mac_hex(anchor.mac)) {
    refuse(request, make_error(ErrorCode::bad_request,
                               "a head needs seq >= 1 and a MAC of 64 "
                               "lowercase hex digits",
                               anchor.seq == 0 ? "seq" : "mac"));
    return;
  }
  // The state machine checks the opened head too (and refuses alike).
  state::AuditAnchorCommand command{
      anchor.node,   anchor.seq,        anchor.epoch,     anchor.mac,
      wall_now_ms(), anchor.opened_seq, anchor.opened_mac};
  propose(std::move(request), state::CommandKind::audit_anchor,
          encode_record(command));
}

void Node::answer_audit_anchor(const ClientRequest& request,
                               const state::ApplyOutcome& outcome) {
  const auto& a = std::get<AuditAnchorRequest>(request.request);
  const auto& anchors = state_.audit_anchors();
  auto it = anchors.find(a.node);
  const std::uint64_t anchored = it == anchors.end() ? 0 : it->second.seq;
  if (outcome.outcome == "regressed") {
    spdlog::warn(
        "audit: node {} reported an audit head (seq {}, opened at seq {}) "
        "behind the one the cluster attested: its audit.log lost or changed "
        "attested records (status: audit_anchors)",
        a.node, a.seq, a.opened_seq);
  }
  reply_to(request, AuditAnchorReply{a.id, a.node, anchored, outcome.outcome});
}

}  // namespace slurp::node
