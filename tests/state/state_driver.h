// Test helpers for the state machine: a Driver that feeds one machine
// entries with consecutive indexes, like Raft does, and command builders.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocol/record_codec.h"
#include "src/state/state_machine.h"

namespace slurp::state::testing {

inline const std::string kAddress =
    "ucxl://dev:developer@slurp:core/*^/src/a.cc";
inline const std::string kOtherAddress =
    "ucxl://dev:developer@slurp:core/*^/src/b.cc";

inline std::string address_of(const std::string& name) {
  return "ucxl://dev:developer@slurp:core/*^/" + name;
}

inline EnqueueCommand make_enqueue(std::string request_id,
                                   std::string requester = "alice",
                                   Priority priority = Priority::normal) {
  EnqueueCommand c;
  c.request_id = std::move(request_id);
  c.requester = std::move(requester);
  c.role = "developer";
  c.address = kAddress;
  c.priority = priority;
  c.time_ms = 1000;
  return c;
}

inline Context make_context(std::string address, std::string summary) {
  Context c;
  c.address = std::move(address);
  c.summary = std::move(summary);
  return c;
}

struct Driver {
  explicit Driver(StateLimits limits = {}) : sm(limits) {}

  template <class Command>
  ApplyOutcome command(CommandKind kind, const Command& c) {
    return raw(static_cast<std::uint64_t>(kind), encode_record(c));
  }
  ApplyOutcome raw(std::uint64_t kind, Bytes data) {
    return sm.apply(LogEntry{++index, 1, kind, std::move(data)});
  }
  ApplyOutcome noop() { return raw(0, {}); }
  ApplyOutcome enqueue(const EnqueueCommand& c) {
    return command(CommandKind::enqueue, c);
  }
  ApplyOutcome enqueue(std::string request_id, std::string requester = "alice",
                       Priority priority = Priority::normal) {
    return enqueue(
        make_enqueue(std::move(request_id), std::move(requester), priority));
  }
  // Without a role: a command as written before the ownership rule, which
  // applies unchecked (commands.h); `role` makes it a checked one.
  ApplyOutcome cancel(std::uint64_t job_id, std::string requester = "alice",
                      std::uint64_t time_ms = 2000,
                      std::optional<std::string> role = std::nullopt) {
    return command(
        CommandKind::cancel,
        CancelCommand{job_id, std::move(requester), time_ms, std::move(role)});
  }
  ApplyOutcome update(Context context, std::string requester = "bob",
                      std::optional<std::string> role = std::nullopt) {
    return command(
        CommandKind::update_context,
        UpdateContextCommand{std::move(context), std::move(requester), 3000,
                             std::move(role)});
  }
  ApplyOutcome lease(std::vector<LeaseGrant> jobs, std::uint64_t time_ms,
                     std::uint64_t lease_until_ms, std::uint64_t term = 1) {
    return command(
        CommandKind::lease,
        LeaseCommand{term, time_ms, lease_until_ms, std::move(jobs)});
  }
  // What a leader does: pick at now_ms, then lease the picks.
  ApplyOutcome lease_next(std::uint64_t now_ms, std::size_t limit = 1,
                          std::uint64_t lease_ms = 30000) {
    std::vector<LeaseGrant> grants;
    for (const DispatchPick& p : sm.next_dispatch(now_ms, limit, {})) {
      grants.push_back({p.job_id, p.attempt});
    }
    return lease(std::move(grants), now_ms, now_ms + lease_ms);
  }
  ApplyOutcome complete(std::uint64_t job_id, std::uint64_t attempt,
                        Context context, std::uint64_t time_ms = 5000) {
    return command(
        CommandKind::complete,
        CompleteCommand{time_ms, {{job_id, attempt, 1, std::move(context)}}});
  }
  ApplyOutcome fail(std::uint64_t job_id, std::uint64_t attempt,
                    std::string error, std::uint64_t time_ms = 5000,
                    std::uint64_t not_before_ms = 0) {
    return command(
        CommandKind::fail,
        FailCommand{time_ms,
                    {{job_id, attempt, std::move(error), not_before_ms}}});
  }
  ApplyOutcome expire(std::uint64_t time_ms) {
    return command(CommandKind::expire, ExpireCommand{time_ms});
  }

  // The ids next_dispatch would pick, in order.
  std::vector<std::uint64_t> order(
      std::uint64_t now_ms, std::size_t limit = 100,
      const std::set<std::uint64_t>& exclude = {}) const {
    std::vector<std::uint64_t> ids;
    for (const DispatchPick& p : sm.next_dispatch(now_ms, limit, exclude)) {
      ids.push_back(p.job_id);
    }
    return ids;
  }

  StateMachine sm;
  std::uint64_t index = 0;
};

inline std::vector<std::string> topics(const ApplyOutcome& out) {
  std::vector<std::string> result;
  for (const StateEvent& e : out.events) result.push_back(e.topic);
  return result;
}

}  // namespace slurp::state::testing
