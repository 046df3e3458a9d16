// Config::validate and small naming helpers.
#include <set>
#include <string>

#include "protocol/limits.h"
#include "src/consensus/raft.h"

namespace slurp::consensus {
namespace {

Status bad(const char* field, std::string reason) {
  return make_error(ErrorCode::bad_request, std::move(reason), field);
}

// Limits that must be positive, and the wire bound (0 = none) they may not
// exceed: a limit larger than the wire allows would build messages the
// codec refuses.
struct LimitCheck {
  const char* field;
  std::size_t value;
  std::size_t wire_max;
};

}  // namespace

std::string_view raft_role_name(RaftRole role) {
  switch (role) {
    case RaftRole::follower: return "follower";
    case RaftRole::pre_candidate: return "pre_candidate";
    case RaftRole::candidate: return "candidate";
    case RaftRole::leader: return "leader";
  }
  return "unknown";
}

Status Config::validate() const {
  if (id.empty()) return bad("id", "must not be empty");
  if (members.empty()) return bad("members", "must not be empty");
  std::set<NodeId> seen;
  for (const NodeId& m : members) {
    if (m.empty()) return bad("members", "a member id is empty");
    if (!seen.insert(m).second) return bad("members", "duplicate id " + m);
  }
  if (!seen.count(id)) return bad("id", "not among members");
  if (heartbeat_ticks == 0) return bad("heartbeat_ticks", "must be > 0");
  if (election_ticks_min <= heartbeat_ticks) {
    return bad("election_ticks_min", "must be greater than heartbeat_ticks");
  }
  if (election_ticks_max <= election_ticks_min) {
    return bad("election_ticks_max", "must be greater than election_ticks_min");
  }
  const LimitCheck limits_checked[] = {
      {"append_entries_max", append_entries_max, limits::append_entries_max},
      {"append_bytes_max", append_bytes_max, limits::append_bytes_wire_max},
      {"inflight_appends_max", inflight_appends_max, 0},
      {"uncommitted_entries_max", uncommitted_entries_max, 0},
      {"snapshot_chunk_bytes_max", snapshot_chunk_bytes_max,
       limits::snapshot_chunk_bytes_max},
      {"snapshot_bytes_max", snapshot_bytes_max, 0},
      {"pending_reads_max", pending_reads_max, 0},
      {"apply_entries_max", apply_entries_max, 0},
      {"apply_bytes_max", apply_bytes_max, 0},
  };
  for (const LimitCheck& c : limits_checked) {
    if (c.value == 0) return bad(c.field, "must be > 0");
    if (c.wire_max != 0 && c.value > c.wire_max) {
      return bad(c.field,
                 "exceeds the wire limit " + std::to_string(c.wire_max));
    }
  }
  return ok_status();
}

}  // namespace slurp::consensus
