// Message catalog v1. Every slurp frame payload is one msgpack map holding
// `v` (protocol version, 1) and `type` (the kType below) plus the fields each
// struct declares. protocol/PROTOCOL.md is the normative description of the
// same catalog; keep the two in step (the golden vectors check the bytes).
//
// Units are last in names (`deadline_ms`, `lease_ms`); times are Unix epoch
// milliseconds unless a name says otherwise. Plain data; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/field_codec.h"

namespace slurp {

inline constexpr std::uint64_t kProtocolVersion = 1;

// ---- shared records --------------------------------------------------------

enum class Priority { low, normal, high, critical, emergency };
std::string_view enum_to_wire(Priority p);
bool enum_from_wire(std::string_view text, Priority& out);

// Where a node listens; carried in beacons and not_leader errors.
struct Endpoints {
  std::string api, events, jobs, results;
  template <class V>
  void fields(V& v) {
    v.req("api", api);
    v.req("events", events);
    v.req("jobs", jobs);
    v.req("results", results);
  }
  bool operator==(const Endpoints&) const = default;
};

struct Symbol {
  std::string name;
  std::string kind;  // function, class, struct, type, ...
  std::uint64_t line = 0;
  std::optional<std::string> signature{};  // the declaration up to its body
  std::optional<std::string> doc{};        // first sentence of its doc comment
  template <class V>
  void fields(V& v) {
    v.req("name", name);
    v.req("kind", kind);
    v.req("line", line);
    v.opt("signature", signature);
    v.opt("doc", doc);
  }
  bool operator==(const Symbol&) const = default;
};

struct Metrics {
  std::uint64_t lines_code = 0, lines_comment = 0, lines_blank = 0;
  std::uint64_t bytes = 0;
  template <class V>
  void fields(V& v) {
    v.def("lines_code", lines_code);
    v.def("lines_comment", lines_comment);
    v.def("lines_blank", lines_blank);
    v.def("bytes", bytes);
  }
  bool operator==(const Metrics&) const = default;
};

// How much of a file or directory is in one language. A file has one
// entry; a directory sums its children's, so shares roll up the tree.
struct LanguageShare {
  std::string language;
  std::uint64_t files = 0;
  std::uint64_t lines_code = 0;
  template <class V>
  void fields(V& v) {
    v.req("language", language);
    v.def("files", files);
    v.def("lines_code", lines_code);
  }
  bool operator==(const LanguageShare&) const = default;
};

// A generated context: the versioned record for one UCXL address.
struct Context {
  std::string address;  // canonical UCXL address
  std::uint64_t version = 0;
  std::string content_hash;  // hex SHA-256 of the content
  std::string language;
  std::string summary;
  std::string purpose;
  std::vector<std::string> technologies;
  std::vector<std::string> tags;
  std::vector<Symbol> symbols;
  std::vector<std::string> imports;
  Metrics metrics;
  std::vector<std::string> todos;
  std::optional<std::string> license;  // SPDX id when present
  std::string engine;
  std::string engine_version;
  std::uint64_t generated_at_ms = 0;
  double confidence = 0.0;               // 0..1
  std::vector<LanguageShare> languages;  // most lines first
  template <class V>
  void fields(V& v) {
    v.req("address", address);
    v.def("version", version);
    v.def("content_hash", content_hash);
    v.def("language", language);
    v.def("summary", summary);
    v.def("purpose", purpose);
    v.def("technologies", technologies);
    v.def("tags", tags);
    v.def("symbols", symbols);
    v.def("imports", imports);
    v.def("metrics", metrics);
    v.def("todos", todos);
    v.opt("license", license);
    v.def("engine", engine);
    v.def("engine_version", engine_version);
    v.def("generated_at_ms", generated_at_ms);
    v.def("confidence", confidence);
    v.def("languages", languages);
  }
  bool operator==(const Context&) const = default;
};

// ---- client requests and replies (api ROUTER) -----------------------------

struct Ping {
  static constexpr std::string_view kType = "ping";
  std::uint64_t id = 0;  // client-chosen correlation id, echoed in the reply
  template <class V>
  void fields(V& v) {
    v.req("id", id);
  }
  bool operator==(const Ping&) const = default;
};

struct Pong {
  static constexpr std::string_view kType = "pong";
  std::uint64_t id = 0;
  std::string node;       // the answering node's id
  std::string peer_name;  // the caller's key name, as authenticated
  std::string peer_role;  // the caller's role, as authenticated
  std::uint64_t time_ms = 0;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("node", node);
    v.req("peer_name", peer_name);
    v.req("peer_role", peer_role);
    v.req("time_ms", time_ms);
  }
  bool operator==(const Pong&) const = default;
};

struct Generate {
  static constexpr std::string_view kType = "generate";
  std::uint64_t id = 0;
  std::string request_id;  // idempotency key: a retry never makes a 2nd job
  std::string address;     // UCXL address
  std::optional<Bytes> content;
  std::optional<std::string> content_hash;  // hex SHA-256
  std::optional<std::string> file_path;
  Priority priority = Priority::normal;
  std::vector<std::string> depends_on;  // UCXL addresses
  std::optional<std::uint64_t> deadline_ms;
  bool wait = false;  // also deliver a job_done when the job ends
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("request_id", request_id);
    v.req("address", address);
    v.opt("content", content);
    v.opt("content_hash", content_hash);
    v.opt("file_path", file_path);
    v.def("priority", priority);
    v.def("depends_on", depends_on);
    v.opt("deadline_ms", deadline_ms);
    v.def("wait", wait);
  }
  bool operator==(const Generate&) const = default;
};

struct GenerateReply {
  static constexpr std::string_view kType = "generate_reply";
  std::uint64_t id = 0;
  std::uint64_t job_id = 0;
  std::string outcome;  // queued | cached | attached | duplicate
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("job_id", job_id);
    v.req("outcome", outcome);
  }
  bool operator==(const GenerateReply&) const = default;
};

struct JobDone {
  static constexpr std::string_view kType = "job_done";
  std::uint64_t id = 0;
  std::uint64_t job_id = 0;
  std::string state;  // completed | failed | dead_lettered | cancelled
  std::optional<std::string> error;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("job_id", job_id);
    v.req("state", state);
    v.opt("error", error);
  }
  bool operator==(const JobDone&) const = default;
};

struct StatusRequest {
  static constexpr std::string_view kType = "status";
  std::uint64_t id = 0;
  bool stale = false;  // answer from this node's state, not the leader's
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.def("stale", stale);
  }
  bool operator==(const StatusRequest&) const = default;
};

// A worker as the leader sees it, from the results it delivers (workers
// send nothing else). Leader-local: a new leader learns them again from
// their next results.
struct WorkerStatus {
  std::string name;  // ResultBatch.worker
  std::uint64_t jobs_completed = 0;
  std::uint64_t jobs_failed = 0;
  std::uint64_t last_seen_ms_ago = 0;
  template <class V>
  void fields(V& v) {
    v.req("name", name);
    v.def("jobs_completed", jobs_completed);
    v.def("jobs_failed", jobs_failed);
    v.def("last_seen_ms_ago", last_seen_ms_ago);
  }
  bool operator==(const WorkerStatus&) const = default;
};

struct MemberStatus {
  std::string node;
  std::string state;  // leader | follower | candidate | unreachable
  bool healthy = false;
  std::uint64_t match_index = 0;
  std::uint64_t lag_entries = 0;
  template <class V>
  void fields(V& v) {
    v.req("node", node);
    v.req("state", state);
    v.req("healthy", healthy);
    v.def("match_index", match_index);
    v.def("lag_entries", lag_entries);
  }
  bool operator==(const MemberStatus&) const = default;
};

struct QueueCounts {
  Priority priority = Priority::normal;
  std::uint64_t queued = 0, active = 0, completed = 0, failed = 0;
  template <class V>
  void fields(V& v) {
    v.req("priority", priority);
    v.def("queued", queued);
    v.def("active", active);
    v.def("completed", completed);
    v.def("failed", failed);
  }
  bool operator==(const QueueCounts&) const = default;
};

// One node's audit log head as the replicated log attests it (the
// audit_anchor request; PROTOCOL.md "Audit log").
struct AuditAnchorStatus {
  std::string node;
  std::uint64_t seq = 0;
  std::uint64_t epoch = 0;
  std::string mac;            // 64 lowercase hex digits
  std::uint64_t time_ms = 0;  // the leader's wall clock when anchored
  std::uint64_t index = 0;    // the log entry that anchored it
  // Reports refused because they went back below the anchored seq (or
  // named another record at it), and the latest such seq: evidence that
  // the node's log lost attested records.
  std::uint64_t regressions = 0;
  std::uint64_t last_regression_seq = 0;
  template <class V>
  void fields(V& v) {
    v.req("node", node);
    v.req("seq", seq);
    v.req("epoch", epoch);
    v.req("mac", mac);
    v.req("time_ms", time_ms);
    v.req("index", index);
    v.def("regressions", regressions);
    v.def("last_regression_seq", last_regression_seq);
  }
  bool operator==(const AuditAnchorStatus&) const = default;
};

struct StatusReply {
  static constexpr std::string_view kType = "status_reply";
  std::uint64_t id = 0;
  std::string node;  // who answered
  std::optional<std::string> leader;
  std::uint64_t term = 0;
  std::uint64_t commit_index = 0;
  std::optional<std::uint64_t> stale_ms;  // set on stale reads: max age
  std::vector<MemberStatus> members;
  std::vector<QueueCounts> queue;
  std::uint64_t active_tasks = 0;
  std::uint64_t queued_tasks = 0;
  std::uint64_t waiting_tasks = 0;  // queued behind their dependencies
  // Cumulative since the cluster began (replicated, so every node agrees).
  std::uint64_t cache_hits = 0;             // answered from a stored context
  std::uint64_t attached = 0;               // joined an identical job
  std::uint64_t retries = 0;                // re-dispatches after a failure
  std::uint64_t dead_lettered = 0;          // gave up after job_attempts_max
  std::uint64_t duplicate_generations = 0;  // results for finished jobs
  // Leader-local: workers heard from recently, and results per second
  // over the last status_rate_window_ms.
  std::vector<WorkerStatus> workers;
  double completed_per_s = 0.0;
  double failed_per_s = 0.0;
  // Every node's attested audit head, by node id; absent when none is.
  std::optional<std::vector<AuditAnchorStatus>> audit_anchors;
  // The answering node's own: its longest loop turn (work only, not the
  // wait for work) since it started and within the last
  // limits::loop_turn_window_s, and its resident memory.
  std::uint64_t loop_turn_max_ms = 0;
  std::uint64_t loop_turn_recent_max_ms = 0;
  std::uint64_t rss_bytes = 0;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("node", node);
    v.opt("leader", leader);
    v.req("term", term);
    v.req("commit_index", commit_index);
    v.opt("stale_ms", stale_ms);
    v.def("members", members);
    v.def("queue", queue);
    v.def("active_tasks", active_tasks);
    v.def("queued_tasks", queued_tasks);
    v.def("waiting_tasks", waiting_tasks);
    v.def("cache_hits", cache_hits);
    v.def("attached", attached);
    v.def("retries", retries);
    v.def("dead_lettered", dead_lettered);
    v.def("duplicate_generations", duplicate_generations);
    v.def("workers", workers);
    v.def("completed_per_s", completed_per_s);
    v.def("failed_per_s", failed_per_s);
    v.opt("audit_anchors", audit_anchors);
    v.def("loop_turn_max_ms", loop_turn_max_ms);
    v.def("loop_turn_recent_max_ms", loop_turn_recent_max_ms);
    v.def("rss_bytes", rss_bytes);
  }
  bool operator==(const StatusReply&) const = default;
};

struct GetContext {
  static constexpr std::string_view kType = "get";
  std::uint64_t id = 0;
  std::string address;
  bool stale = false;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("address", address);
    v.def("stale", stale);
  }
  bool operator==(const GetContext&) const = default;
};

struct ContextReply {
  static constexpr std::string_view kType = "context";
  std::uint64_t id = 0;
  Context context;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("context", context);
  }
  bool operator==(const ContextReply&) const = default;
};

// Stored contexts whose canonical address starts with `prefix`, in address
// order, a page at a time: pass the last address of one page as `after`
// to get the next.
struct ListContexts {
  static constexpr std::string_view kType = "list";
  std::uint64_t id = 0;
  std::string prefix;       // a UCXL address or its beginning; "" for all
  std::string after;        // only addresses after this one
  std::uint64_t limit = 0;  // 0: list_page_contexts_default
  bool stale = false;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.def("prefix", prefix);
    v.def("after", after);
    v.def("limit", limit);
    v.def("stale", stale);
  }
  bool operator==(const ListContexts&) const = default;
};

struct ListReply {
  static constexpr std::string_view kType = "list_reply";
  std::uint64_t id = 0;
  std::vector<Context> contexts;
  // The `after` of the next page; absent on the last page.
  std::optional<std::string> next_after;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.def("contexts", contexts);
    v.opt("next_after", next_after);
  }
  bool operator==(const ListReply&) const = default;
};

// Where one job stands.
struct JobQuery {
  static constexpr std::string_view kType = "job";
  std::uint64_t id = 0;
  std::uint64_t job_id = 0;
  bool stale = false;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("job_id", job_id);
    v.def("stale", stale);
  }
  bool operator==(const JobQuery&) const = default;
};

struct JobReply {
  static constexpr std::string_view kType = "job_reply";
  std::uint64_t id = 0;
  std::uint64_t job_id = 0;
  std::string address;
  // waiting, queued, active, completed, failed, dead_lettered, cancelled
  std::string state;
  Priority priority = Priority::normal;
  std::uint64_t attempts = 0;
  std::optional<std::string> error;  // why the last attempt failed / it ended
  std::uint64_t accepted_ms = 0;
  std::uint64_t ended_ms = 0;  // 0 while not ended
  std::vector<std::string> depends_on;
  std::uint64_t waiting_on = 0;  // open dependencies
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("job_id", job_id);
    v.req("address", address);
    v.req("state", state);
    v.def("priority", priority);
    v.def("attempts", attempts);
    v.opt("error", error);
    v.def("accepted_ms", accepted_ms);
    v.def("ended_ms", ended_ms);
    v.def("depends_on", depends_on);
    v.def("waiting_on", waiting_on);
  }
  bool operator==(const JobReply&) const = default;
};

struct Cancel {
  static constexpr std::string_view kType = "cancel";
  std::uint64_t id = 0;
  std::uint64_t job_id = 0;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("job_id", job_id);
  }
  bool operator==(const Cancel&) const = default;
};

struct CancelReply {
  static constexpr std::string_view kType = "cancel_reply";
  std::uint64_t id = 0;
  std::uint64_t job_id = 0;
  std::string state;  // the job's state after the cancel
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("job_id", job_id);
    v.req("state", state);
  }
  bool operator==(const CancelReply&) const = default;
};

struct UpdateContext {
  static constexpr std::string_view kType = "update_context";
  std::uint64_t id = 0;
  Context context;  // context.address names the record
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("context", context);
  }
  bool operator==(const UpdateContext&) const = default;
};

struct UpdateReply {
  static constexpr std::string_view kType = "update_reply";
  std::uint64_t id = 0;
  std::string address;
  std::uint64_t version = 0;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("address", address);
    v.req("version", version);
  }
  bool operator==(const UpdateReply&) const = default;
};

// A node's own audit log head, for the replicated log to attest (nodes
// send it, for themselves only; the leader proposes it, PROTOCOL.md
// "audit_anchor").
struct AuditAnchorRequest {
  static constexpr std::string_view kType = "audit_anchor";
  std::uint64_t id = 0;
  std::string node;  // must be the sender's own key name
  std::uint64_t seq = 0;
  std::uint64_t epoch = 0;
  std::string mac;  // the record's MAC, 64 lowercase hex digits
  // The file's last record when this node process opened it (0 and "" for
  // an empty file): a restart from a file cut below an attested head shows
  // here even after new records passed it.
  std::uint64_t opened_seq = 0;
  std::string opened_mac;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("node", node);
    v.req("seq", seq);
    v.req("epoch", epoch);
    v.req("mac", mac);
    v.req("opened_seq", opened_seq);
    v.req("opened_mac", opened_mac);
  }
  bool operator==(const AuditAnchorRequest&) const = default;
};

struct AuditAnchorReply {
  static constexpr std::string_view kType = "audit_anchor_reply";
  std::uint64_t id = 0;
  std::string node;
  std::uint64_t seq = 0;  // the seq now anchored for the node
  std::string outcome;    // anchored | unchanged | regressed
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("node", node);
    v.req("seq", seq);
    v.req("outcome", outcome);
  }
  bool operator==(const AuditAnchorReply&) const = default;
};

struct FetchEvents {
  static constexpr std::string_view kType = "fetch_events";
  std::uint64_t id = 0;
  std::uint64_t from_seq = 0;  // first sequence number wanted
  std::uint64_t limit = 0;     // 0: the node's default batch
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("from_seq", from_seq);
    v.def("limit", limit);
  }
  bool operator==(const FetchEvents&) const = default;
};

struct Event;  // below

struct ErrorReply {
  static constexpr std::string_view kType = "error";
  std::uint64_t id = 0;  // 0 when the request's id could not be read
  std::uint64_t code = 0;
  std::string name;
  std::string message;
  std::optional<std::string> field;
  std::optional<std::string> leader;  // not_leader: the leader's node id
  std::optional<std::string> leader_endpoint;  // and its api endpoint
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("code", code);
    v.req("name", name);
    v.req("message", message);
    v.opt("field", field);
    v.opt("leader", leader);
    v.opt("leader_endpoint", leader_endpoint);
  }
  bool operator==(const ErrorReply&) const = default;
};

// ---- events (PUB) ----------------------------------------------------------

struct Event {
  static constexpr std::string_view kType = "event";
  std::string topic;  // also the first frame, for SUB prefix filtering
  std::string node;
  std::uint64_t term = 0;
  std::uint64_t seq = 0;  // per publishing node, from 1, no gaps
  std::uint64_t time_ms = 0;
  Attributes attrs;
  template <class V>
  void fields(V& v) {
    v.req("topic", topic);
    v.req("node", node);
    v.req("term", term);
    v.req("seq", seq);
    v.req("time_ms", time_ms);
    v.def("attrs", attrs);
  }
  bool operator==(const Event&) const = default;
};

struct EventsReply {
  static constexpr std::string_view kType = "events_reply";
  std::uint64_t id = 0;
  std::uint64_t first_available_seq = 0;  // older events are gone
  std::vector<Event> events;
  template <class V>
  void fields(V& v) {
    v.req("id", id);
    v.req("first_available_seq", first_available_seq);
    v.def("events", events);
  }
  bool operator==(const EventsReply&) const = default;
};

struct Beacon {
  static constexpr std::string_view kType = "beacon";
  std::string node;
  std::uint64_t term = 0;
  std::optional<std::string> leader;
  std::optional<Endpoints> leader_endpoints;
  std::uint64_t commit_index = 0;
  std::uint64_t seq = 0;  // shares the node's event sequence
  template <class V>
  void fields(V& v) {
    v.req("node", node);
    v.req("term", term);
    v.opt("leader", leader);
    v.opt("leader_endpoints", leader_endpoints);
    v.req("commit_index", commit_index);
    v.req("seq", seq);
  }
  bool operator==(const Beacon&) const = default;
};

// ---- consensus RPCs (node DEALER -> node ROUTER) ---------------------------

struct Vote {
  static constexpr std::string_view kType = "vote";
  std::uint64_t term = 0;
  std::string candidate;
  std::uint64_t last_log_index = 0;
  std::uint64_t last_log_term = 0;
  bool pre_vote = false;
  template <class V>
  void fields(V& v) {
    v.req("term", term);
    v.req("candidate", candidate);
    v.req("last_log_index", last_log_index);
    v.req("last_log_term", last_log_term);
    v.def("pre_vote", pre_vote);
  }
  bool operator==(const Vote&) const = default;
};

struct VoteReply {
  static constexpr std::string_view kType = "vote_reply";
  std::uint64_t term = 0;
  std::string voter;
  bool granted = false;
  bool pre_vote = false;
  template <class V>
  void fields(V& v) {
    v.req("term", term);
    v.req("voter", voter);
    v.req("granted", granted);
    v.def("pre_vote", pre_vote);
  }
  bool operator==(const VoteReply&) const = default;
};

struct LogEntry {
  std::uint64_t index = 0;
  std::uint64_t term = 0;
  std::uint64_t kind = 0;  // command kind, defined by the state machine
  Bytes data;
  template <class V>
  void fields(V& v) {
    v.req("index", index);
    v.req("term", term);
    v.req("kind", kind);
    v.req("data", data);
  }
  bool operator==(const LogEntry&) const = default;
};

struct Append {
  static constexpr std::string_view kType = "append";
  std::uint64_t term = 0;
  std::string leader;
  std::uint64_t prev_log_index = 0;
  std::uint64_t prev_log_term = 0;
  std::uint64_t commit_index = 0;
  std::vector<LogEntry> entries;  // empty: heartbeat
  // The leader's per-follower message counter, echoed in the reply: frees
  // an in-flight slot and proves a read-index round was acknowledged.
  std::uint64_t seq = 0;
  template <class V>
  void fields(V& v) {
    v.req("term", term);
    v.req("leader", leader);
    v.req("prev_log_index", prev_log_index);
    v.req("prev_log_term", prev_log_term);
    v.req("commit_index", commit_index);
    v.def("entries", entries);
    v.def("seq", seq);
  }
  bool operator==(const Append&) const = default;
};

struct AppendReply {
  static constexpr std::string_view kType = "append_reply";
  std::uint64_t term = 0;
  std::string follower;
  bool success = false;
  std::uint64_t match_index = 0;  // on success: last index now matching
  std::uint64_t hint_index = 0;   // on reject: where the leader may retry
  std::uint64_t hint_term = 0;    // on reject: the follower's term there
  std::uint64_t seq = 0;          // the Append's seq this answers
  template <class V>
  void fields(V& v) {
    v.req("term", term);
    v.req("follower", follower);
    v.req("success", success);
    v.def("match_index", match_index);
    v.def("hint_index", hint_index);
    v.def("hint_term", hint_term);
    v.def("seq", seq);
  }
  bool operator==(const AppendReply&) const = default;
};

// One chunk of the state-transfer snapshot.
struct SnapshotChunk {
  static constexpr std::string_view kType = "snapshot_chunk";
  std::uint64_t term = 0;
  std::string leader;
  std::uint64_t last_index = 0;  // the snapshot covers the log up to here
  std::uint64_t last_term = 0;
  std::uint64_t offset = 0;  // of this chunk in the snapshot
  std::uint64_t total_bytes = 0;
  Bytes data;
  std::uint64_t chunk_crc32c = 0;
  bool done = false;
  template <class V>
  void fields(V& v) {
    v.req("term", term);
    v.req("leader", leader);
    v.req("last_index", last_index);
    v.req("last_term", last_term);
    v.req("offset", offset);
    v.req("total_bytes", total_bytes);
    v.req("data", data);
    v.req("chunk_crc32c", chunk_crc32c);
    v.def("done", done);
  }
  bool operator==(const SnapshotChunk&) const = default;
};

struct SnapshotReply {
  static constexpr std::string_view kType = "snapshot_reply";
  std::uint64_t term = 0;
  std::string follower;
  std::uint64_t next_offset = 0;  // what the follower wants next
  bool done = false;
  template <class V>
  void fields(V& v) {
    v.req("term", term);
    v.req("follower", follower);
    v.req("next_offset", next_offset);
    v.def("done", done);
  }
  bool operator==(const SnapshotReply&) const = default;
};

struct TimeoutNow {
  static constexpr std::string_view kType = "timeout_now";
  std::uint64_t term = 0;
  std::string leader;
  template <class V>
  void fields(V& v) {
    v.req("term", term);
    v.req("leader", leader);
  }
  bool operator==(const TimeoutNow&) const = default;
};

// ---- forwarding (follower -> leader) ---------------------------------------

// A client request relayed by a follower. The leader trusts requester and
// requester_role only because the sender authenticated with role `node`.
struct Forward {
  static constexpr std::string_view kType = "forward";
  std::uint64_t forward_id = 0;  // the follower's correlation id
  std::uint64_t term = 0;        // the follower's term (fencing)
  std::string requester;
  std::string requester_role;
  Bytes request;  // the client's payload frame, unchanged
  template <class V>
  void fields(V& v) {
    v.req("forward_id", forward_id);
    v.req("term", term);
    v.req("requester", requester);
    v.req("requester_role", requester_role);
    v.req("request", request);
  }
  bool operator==(const Forward&) const = default;
};

struct ForwardReply {
  static constexpr std::string_view kType = "forward_reply";
  std::uint64_t forward_id = 0;
  Bytes reply;  // the leader's reply payload, relayed unchanged
  template <class V>
  void fields(V& v) {
    v.req("forward_id", forward_id);
    v.req("reply", reply);
  }
  bool operator==(const ForwardReply&) const = default;
};

// ---- workers (leader PUSH -> worker PULL; worker PUSH -> node PULL) -------

struct Job {
  std::uint64_t job_id = 0;
  std::uint64_t attempt = 0;   // 1 on first dispatch
  std::uint64_t lease_ms = 0;  // result must arrive within this
  std::string address;
  std::string role;  // the requester's role, for role filtering
  Priority priority = Priority::normal;
  std::optional<Bytes> content;
  std::optional<std::string> file_path;
  std::vector<std::string> depends_on;
  std::optional<std::string> content_hash;  // hex SHA-256, when known
  // Dependencies that ended without a context (failed, dead-lettered,
  // cancelled): the job runs anyway and says what it could not use.
  std::vector<std::string> failed_dependencies;
  // The stored contexts of depends_on, trimmed (see trim_for_dependant):
  // what a directory's roll-up is made from.
  std::vector<Context> dependencies;
  template <class V>
  void fields(V& v) {
    v.req("job_id", job_id);
    v.req("attempt", attempt);
    v.req("lease_ms", lease_ms);
    v.req("address", address);
    v.req("role", role);
    v.def("priority", priority);
    v.opt("content", content);
    v.opt("file_path", file_path);
    v.def("depends_on", depends_on);
    v.opt("content_hash", content_hash);
    v.def("failed_dependencies", failed_dependencies);
    v.def("dependencies", dependencies);
  }
  bool operator==(const Job&) const = default;
};

struct JobBatch {
  static constexpr std::string_view kType = "jobs";
  std::uint64_t term = 0;  // results echo it; an older term is fenced
  std::string leader;
  std::vector<Job> jobs;
  template <class V>
  void fields(V& v) {
    v.req("term", term);
    v.req("leader", leader);
    v.req("jobs", jobs);
  }
  bool operator==(const JobBatch&) const = default;
};

struct JobResult {
  std::uint64_t job_id = 0;
  std::uint64_t attempt = 0;
  std::uint64_t term = 0;
  bool ok = false;
  std::optional<Context> context;    // when ok
  std::optional<std::string> error;  // when not ok
  template <class V>
  void fields(V& v) {
    v.req("job_id", job_id);
    v.req("attempt", attempt);
    v.req("term", term);
    v.req("ok", ok);
    v.opt("context", context);
    v.opt("error", error);
  }
  bool operator==(const JobResult&) const = default;
};

struct ResultBatch {
  static constexpr std::string_view kType = "results";
  std::string worker;
  std::vector<JobResult> results;
  template <class V>
  void fields(V& v) {
    v.req("worker", worker);
    v.req("results", results);
  }
  bool operator==(const ResultBatch&) const = default;
};

using Message =
    std::variant<Ping, Pong, Generate, GenerateReply, JobDone, StatusRequest,
                 StatusReply, GetContext, ContextReply, Cancel, CancelReply,
                 UpdateContext, UpdateReply, FetchEvents, EventsReply,
                 ErrorReply, Event, Beacon, Vote, VoteReply, Append,
                 AppendReply, SnapshotChunk, SnapshotReply, TimeoutNow, Forward,
                 ForwardReply, JobBatch, ResultBatch, ListContexts, ListReply,
                 JobQuery, JobReply, AuditAnchorRequest, AuditAnchorReply>;

std::string_view message_type(const Message& message);

}  // namespace slurp
