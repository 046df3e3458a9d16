// The commands of the replicated state machine: what a leader proposes to
// the Raft log, one command per entry. LogEntry::kind says which command
// the entry's data holds (a bare msgpack map, protocol/record_codec.h).
//
// Everything the state machine needs to apply a command deterministically
// is in the command, including the time: the leader stamps `time_ms` when
// it proposes, so every node applies the same clock value. What each
// command does is written next to its kind in src/state/state_machine.h.
//
// Kind numbers are stable (they are on disk and on the wire); 0 is Raft's
// no-op. Plain data; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/messages.h"

namespace slurp::state {

enum class CommandKind : std::uint64_t {
  enqueue = 1,         // a client's generate
  cancel = 2,          // a client's cancel
  update_context = 3,  // a client's update_context
  lease = 4,           // the leader hands queued jobs to workers
  complete = 5,        // workers' successful results
  fail = 6,            // workers' failures and expired leases
  expire = 7,          // jobs past their deadline
  audit_anchor = 8,    // a node's audit log head (PROTOCOL.md "audit_anchor")
};

// A generate request, validated by the leader before it is proposed
// (address canonical, content within limits, content_hash well formed).
// `requester` and `role` come from the sender's authenticated key, never
// from the request.
struct EnqueueCommand {
  std::string request_id;
  std::string requester;
  std::string role;
  std::string address;  // canonical UCXL address
  std::optional<Bytes> content;
  std::optional<std::string> content_hash;
  // True when the leader computed content_hash from `content` itself (it
  // refuses a request whose claimed hash differs). Only a verified hash is
  // trusted for attaching and is sent to workers; entries written before
  // this field existed read as false, so they are trusted for nothing.
  bool content_hash_verified = false;
  std::optional<std::string> file_path;
  Priority priority = Priority::normal;
  std::vector<std::string> depends_on;  // canonical UCXL addresses
  std::optional<std::uint64_t> deadline_ms;
  std::uint64_t time_ms = 0;  // leader's clock at proposal
  // The engine version the leader's cluster generates with: a stored
  // context made by another version is no cache hit.
  std::string engine_version;
  template <class V>
  void fields(V& v) {
    v.req("request_id", request_id);
    v.req("requester", requester);
    v.req("role", role);
    v.req("address", address);
    v.opt("content", content);
    v.opt("content_hash", content_hash);
    v.def("content_hash_verified", content_hash_verified);
    v.opt("file_path", file_path);
    v.def("priority", priority);
    v.def("depends_on", depends_on);
    v.opt("deadline_ms", deadline_ms);
    v.req("time_ms", time_ms);
    v.def("engine_version", engine_version);
  }
  bool operator==(const EnqueueCommand&) const = default;
};

// `requester_role` is the sender's authenticated role, for the ownership
// rule (StateMachine::check_cancel). Absent only in entries written before
// the rule existed: those apply as they did then, unchecked, so replaying
// an old log gives the state it gave.
struct CancelCommand {
  std::uint64_t job_id = 0;
  std::string requester;
  std::uint64_t time_ms = 0;
  std::optional<std::string> requester_role;
  template <class V>
  void fields(V& v) {
    v.req("job_id", job_id);
    v.req("requester", requester);
    v.req("time_ms", time_ms);
    v.opt("requester_role", requester_role);
  }
  bool operator==(const CancelCommand&) const = default;
};

// `requester_role` as in CancelCommand (StateMachine::check_update).
struct UpdateContextCommand {
  Context context;  // context.address canonical
  std::string requester;
  std::uint64_t time_ms = 0;
  std::optional<std::string> requester_role;
  template <class V>
  void fields(V& v) {
    v.req("context", context);
    v.req("requester", requester);
    v.req("time_ms", time_ms);
    v.opt("requester_role", requester_role);
  }
  bool operator==(const UpdateContextCommand&) const = default;
};

// One job of a lease: the attempt the leader numbered (the job's attempts
// + 1 when it picked it, StateMachine::next_dispatch).
struct LeaseGrant {
  std::uint64_t job_id = 0;
  std::uint64_t attempt = 0;
  template <class V>
  void fields(V& v) {
    v.req("job_id", job_id);
    v.req("attempt", attempt);
  }
  bool operator==(const LeaseGrant&) const = default;
};

struct LeaseCommand {
  std::uint64_t term = 0;  // the leader's term, echoed by workers' results
  std::uint64_t time_ms = 0;
  std::uint64_t lease_until_ms = 0;  // a result must be in by then
  std::vector<LeaseGrant> jobs;
  template <class V>
  void fields(V& v) {
    v.req("term", term);
    v.req("time_ms", time_ms);
    v.req("lease_until_ms", lease_until_ms);
    v.req("jobs", jobs);
  }
  bool operator==(const LeaseCommand&) const = default;
};

// A worker's successful result (JobResult with ok = true).
struct CompletedResult {
  std::uint64_t job_id = 0;
  std::uint64_t attempt = 0;
  std::uint64_t term = 0;  // the lease's term the worker echoed
  Context context;         // its address is replaced by the job's
  template <class V>
  void fields(V& v) {
    v.req("job_id", job_id);
    v.req("attempt", attempt);
    v.req("term", term);
    v.req("context", context);
  }
  bool operator==(const CompletedResult&) const = default;
};

struct CompleteCommand {
  std::uint64_t time_ms = 0;
  std::vector<CompletedResult> results;
  template <class V>
  void fields(V& v) {
    v.req("time_ms", time_ms);
    v.req("results", results);
  }
  bool operator==(const CompleteCommand&) const = default;
};

// A worker's failure (JobResult with ok = false), or the leader's verdict
// on a lease that ran out (error "lease expired").
struct FailedAttempt {
  std::uint64_t job_id = 0;
  std::uint64_t attempt = 0;
  std::string error;
  // When a retry may start: the leader's exponential backoff with jitter,
  // computed before proposing so that every node applies the same value.
  std::uint64_t retry_not_before_ms = 0;
  template <class V>
  void fields(V& v) {
    v.req("job_id", job_id);
    v.req("attempt", attempt);
    v.req("error", error);
    v.def("retry_not_before_ms", retry_not_before_ms);
  }
  bool operator==(const FailedAttempt&) const = default;
};

struct FailCommand {
  std::uint64_t time_ms = 0;
  std::vector<FailedAttempt> failures;
  template <class V>
  void fields(V& v) {
    v.req("time_ms", time_ms);
    v.req("failures", failures);
  }
  bool operator==(const FailCommand&) const = default;
};

// Fails every job whose deadline_ms <= time_ms. The leader proposes it
// when StateMachine::earliest_deadline() has passed.
struct ExpireCommand {
  std::uint64_t time_ms = 0;
  template <class V>
  void fields(V& v) {
    v.req("time_ms", time_ms);
  }
  bool operator==(const ExpireCommand&) const = default;
};

// A node's audit log head, as the node reported it (AuditAnchorRequest):
// the last durable record's seq, epoch and MAC. The leader checked that the
// sender is that node (a node anchors only its own log) and stamps its
// wall time; the log index is the entry's own.
struct AuditAnchorCommand {
  std::string node;
  std::uint64_t seq = 0;
  std::uint64_t epoch = 0;
  std::string mac_hex;  // 64 lowercase hex digits
  std::uint64_t time_ms = 0;
  // The file's last record when the node process opened its log.
  std::uint64_t opened_seq = 0;
  std::string opened_mac;
  template <class V>
  void fields(V& v) {
    v.req("node", node);
    v.req("seq", seq);
    v.req("epoch", epoch);
    v.req("mac", mac_hex);
    v.req("time_ms", time_ms);
    v.req("opened_seq", opened_seq);
    v.req("opened_mac", opened_mac);
  }
  bool operator==(const AuditAnchorCommand&) const = default;
};

}  // namespace slurp::state
