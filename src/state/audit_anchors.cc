// StateMachine: audit anchors, the attested heads of the nodes' audit logs
// (rules under "Audit anchors" in state_machine.h).
#include <string>
#include <utility>

#include "protocol/limits.h"
#include "src/state/state_machine.h"

namespace slurp::state {
namespace {

ApplyOutcome refused(Error error) {
  ApplyOutcome out;
  out.error = std::move(error);
  return out;
}

bool is_mac_hex(const std::string& text) {
  return text.size() == 64 &&
         text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The leader checked these already; checked again here because an entry
// that breaks them must be refused alike on every node, whoever wrote it.
std::optional<Error> check_anchor(const AuditAnchorCommand& command) {
  if (command.node.empty() ||
      command.node.size() > limits::audit_anchor_node_bytes_max) {
    return make_error(ErrorCode::bad_request,
                      "a node id of 1.." +
                          std::to_string(limits::audit_anchor_node_bytes_max) +
                          " bytes expected",
                      "node");
  }
  if (command.seq == 0) {
    return make_error(ErrorCode::bad_request, "audit seqs start at 1", "seq");
  }
  if (!is_mac_hex(command.mac_hex)) {
    return make_error(ErrorCode::bad_request,
                      "a MAC of 64 lowercase hex digits expected", "mac");
  }
  // An empty file has no last record: seq 0 and no MAC.
  if (command.opened_seq > command.seq ||
      (command.opened_seq == 0) != command.opened_mac.empty() ||
      (command.opened_seq > 0 && !is_mac_hex(command.opened_mac))) {
    return make_error(ErrorCode::bad_request,
                      "the opened head must be empty or a record (seq, MAC) "
                      "at or before the head",
                      "opened_seq");
  }
  return std::nullopt;
}

}  // namespace

ApplyOutcome StateMachine::apply_audit_anchor(AuditAnchorCommand command,
                                              std::uint64_t index) {
  if (std::optional<Error> bad = check_anchor(command)) {
    return refused(std::move(*bad));
  }
  auto it = audit_anchors_.find(command.node);
  if (it == audit_anchors_.end() &&
      audit_anchors_.size() >= limits::audit_anchor_nodes_max) {
    return refused(make_error(
        ErrorCode::conflict,
        "the state already anchors the audit logs of " +
            std::to_string(limits::audit_anchor_nodes_max) + " nodes",
        "node"));
  }
  ApplyOutcome out;
  if (it == audit_anchors_.end()) {
    it = audit_anchors_.emplace(command.node, AuditAnchorRecord{}).first;
    it->second.node = command.node;
  }
  AuditAnchorRecord& anchor = it->second;
  const bool restarted = command.opened_seq != anchor.opened_seq ||
                         command.opened_mac != anchor.opened_mac;
  // A new process whose file, when it opened it, ended before the attested
  // record (or held another one at its seq): the tail had been cut.
  const bool opened_cut = restarted && anchor.seq > 0 &&
                          (command.opened_seq < anchor.seq ||
                           (command.opened_seq == anchor.seq &&
                            command.opened_mac != anchor.mac_hex));
  const bool behind =
      command.seq < anchor.seq ||
      (command.seq == anchor.seq && command.mac_hex != anchor.mac_hex);
  anchor.opened_seq = command.opened_seq;
  anchor.opened_mac = command.opened_mac;
  if (opened_cut || behind) {
    // Never let the report replace the attested head with a lower one;
    // keep the evidence.
    ++anchor.regressions;
    anchor.last_regression_seq = opened_cut ? command.opened_seq : command.seq;
    anchor.last_regression_ms = command.time_ms;
    out.events.push_back({"audit.anchor_regressed",
                          {{"node", command.node},
                           {"seq", std::to_string(anchor.last_regression_seq)},
                           {"anchored_seq", std::to_string(anchor.seq)}}});
  }
  if (behind) {
    out.outcome = "regressed";
  } else if (command.seq == anchor.seq) {
    out.outcome = opened_cut ? "regressed" : "unchanged";
  } else {
    anchor.seq = command.seq;
    anchor.epoch = command.epoch;
    anchor.mac_hex = std::move(command.mac_hex);
    anchor.time_ms = command.time_ms;
    anchor.index = index;
    out.outcome = opened_cut ? "regressed" : "anchored";
  }
  return out;
}

}  // namespace slurp::state
