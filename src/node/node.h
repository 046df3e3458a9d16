// The node shell: sockets, threads and wiring around the sans-IO parts
// that decide everything, each unit-tested on its own and each also run by
// the simulator (tests/sim):
//   consensus::Raft + ReadyLoop  election, replication, the Ready contract
//                                (src/consensus/ready_loop.h);
//   state::StateMachine          jobs, queue, contexts (src/state);
//   RequestTable                 where each client request waits
//                                (request_table.h);
//   LeaderPipeline               the leader's dispatch, leases, retries and
//                                results (leader_pipeline.h);
//   EventJournal, ReplyOutbox, FairIntake  bounded buffers around sockets.
// It owns the ZeroMQ context, the ZAP authenticator, every socket, storage
// and the audit log, and runs one event loop on one thread.
//
// Sockets (protocol/PROTOCOL.md, "Transports and sockets"): it binds the
// api ROUTER, the events PUB, the jobs PUSH and the results PULL; it
// connects one DEALER to every peer's api (consensus RPCs, forwarding) and
// one SUB to every peer's events (beacons). Every one is CURVE. What each
// socket may carry is a type of its own (protocol/socket_messages.h).
//
// Order at start (fail closed): load keys -> open storage and recover ->
// start ZAP -> bind. A request is decoded, then authorized by the role ZAP
// bound to the sender's key, then served: here if this node leads (writes
// go through the Raft log, reads through read-index), else forwarded to the
// leader, or held until one is elected. Failures are answered with a typed
// error, logged, and rejections audited.
//
// The loop's order of work follows src/consensus/raft.h, carried out by the
// shared ReadyLoop with this class as its ports: persist + fsync a Ready,
// then send its messages, then apply, then advance. One Ready per turn
// covers the turn's client and pipeline proposals (one fsync).
//
// Threads: create, run() and every method on one thread, the node thread.
// Around it: the ZAP authenticator's thread (bus/zap_authenticator.h; it
// shares the authorized keys, reloaded under its lock, and audits refusals
// itself); the audit log's writer thread (security/audit_log.h; appends
// from any thread hand records over under its lock);
// with --workers N, an embedded worker's threads (worker/worker.h; they
// talk to this node over its own CURVE sockets, nothing shared); a helper
// thread that reads a finished snapshot file back, and the forked child
// that wrote it (snapshot_fork.h; joined/reaped on the node thread); the
// reader threads that serve get and list from contexts.db
// (context_reads.h; requests and replies pass under its lock); the
// context store's checkpointer thread (storage/sqlite_context_store.h). Stop
// comes from the signal flags (SIGTERM/SIGINT, set by a signal handler) or
// request_stop() (any thread).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "bus/curve_keys.h"
#include "bus/received_message.h"
#include "bus/socket_monitor.h"
#include "bus/zap_authenticator.h"
#include "protocol/limits.h"
#include "protocol/messages.h"
#include "protocol/result.h"
#include "protocol/role.h"
#include "protocol/socket_messages.h"
#include "src/clock/clocks.h"
#include "src/clock/thread_switches.h"
#include "src/consensus/raft.h"
#include "src/consensus/ready_loop.h"
#include "src/metrics/metrics_listener.h"
#include "src/metrics/node_metrics.h"
#include "src/node/context_reads.h"
#include "src/node/event_journal.h"
#include "src/node/fair_intake.h"
#include "src/node/leader_pipeline.h"
#include "src/node/log_rate_limit.h"
#include "src/node/loop_turns.h"
#include "src/node/node_options.h"
#include "src/node/reply_outbox.h"
#include "src/node/request_table.h"
#include "src/node/snapshot_fork.h"
#include "src/node/turn_phases.h"
#include "src/security/audit_log.h"
#include "src/state/state_machine.h"
#include "src/storage/log_writer.h"
#include "src/storage/sqlite_context_store.h"
#include "src/storage/sqlite_storage.h"
#include "src/worker/worker.h"

namespace slurp::node {

class Node : private consensus::ReadyPorts {
 public:
  static Result<std::unique_ptr<Node>> start(const NodeOptions& options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Serves until a stop is requested; returns the process exit status.
  int run();
  void request_stop() { stop_.store(true); }
  const std::string& api_endpoint() const { return self_.api_endpoint; }

 private:
  explicit Node(const NodeOptions& options);

  // node.cc: start-up, sockets, the loop.
  Status open(const NodeOptions& options);
  Status open_storage();
  Status bind_sockets(const NodeOptions& options);
  Status connect_peers();
  void loop_once();
  // Logs where a turn's time went when it was over loop_turn_warn_ms.
  void note_slow_turn(std::uint64_t work_us, std::uint64_t cpu_start_us);
  void on_api_event(const bus::MonitorEvent& event);
  void audit(std::string_view kind, std::string_view actor,
             std::string_view detail);
  void audit_refusal(std::string_view kind, std::string_view actor,
                     const Error& error);
  void publish_refusal(std::string_view requester, const Error& error);

  // node_consensus.cc: driving Raft; the ReadyLoop's ports.
  void tick_until_now();
  void process_ready();
  void finish_ready();
  void storage_failed(const Error& error);
  void persist(const consensus::Ready& ready) override;
  void send(const consensus::Envelope& envelope) override;
  void restore(const consensus::Snapshot& snapshot) override;
  void apply(const LogEntry& entry) override;
  void read_confirmed(const consensus::ReadState& read) override;
  void advanced(const consensus::Ready& ready) override;
  void apply_entry(const LogEntry& entry);
  void maybe_compact();
  void finish_snapshot(SnapshotFork& child);
  void step_raft(const std::string& sender, ConsensusMessage message);
  void after_consensus_change();

  // node_api.cc: requests arriving on the api socket.
  void drain_api();
  void serve_api();
  void serve_api_message(bus::ReceivedMessage& message);
  void handle_api_message(std::vector<zmq::message_t>& frames,
                          const std::string& user_id, std::optional<Role> role);
  void handle_forward(const ReplyRoute& peer_route, const std::string& peer,
                      const Forward& forward);
  void serve_peer_replies();

  // node_requests.cc: where a client request is served.
  void route_request(ClientRequest request);
  void serve_locally(ClientRequest request);
  void serve_as_leader(ClientRequest request);
  void propose(ClientRequest request, state::CommandKind kind, Bytes data);
  void start_read(ClientRequest request);
  void finish_reads();
  // get and list go to the reader threads (context_reads.h); false for
  // any other request. Answers `unavailable` when they are all busy.
  bool hand_to_readers(const ClientRequest& request);
  void send_context_replies();
  void forward(ClientRequest request, const std::string& leader);
  void hold(ClientRequest request);
  void retry_held();
  void expire_requests();
  void reroute_after_step_down();
  void reply_to(const ClientRequest& request, const Message& reply);
  void send_route(const ReplyRoute& route, std::string payload);
  ReplyOutbox::SendResult send_on_api(const Bytes& routing_id, bool delimiter,
                                      std::string_view body);
  void refuse(const ClientRequest& request, const Error& error);
  void answer_applied(ClientRequest request, const LogEntry& entry,
                      const state::ApplyOutcome& outcome);
  void notify_job_ended(const state::JobEnded& ended);
  ErrorReply not_leader_reply(std::uint64_t id) const;

  // node_audit_anchor.cc: this node's audit head into the replicated log.
  void anchor_audit_head();
  void serve_audit_anchor(ClientRequest request,
                          const AuditAnchorRequest& anchor);
  void answer_audit_anchor(const ClientRequest& request,
                           const state::ApplyOutcome& outcome);

  // node_status.cc: reads, events, beacons, health.
  StatusReply build_status(std::uint64_t id, bool stale) const;
  Message job_reply(const JobQuery& query) const;
  Message answer_read(const ClientRequest& request, bool stale) const;
  void publish(std::string topic, Attributes attrs);
  void publish_beacon();
  void check_health();
  const MemberOptions* member(const std::string& id) const;

  // node_pipeline.cc: the sockets around pipeline_ (leader_pipeline.h).
  static LeaderPipeline::Settings pipeline_settings(const NodeOptions& options);
  void run_pipeline();
  void send_job_batch(const JobBatch& batch);
  void push_job_payload(std::string payload);
  bool push_unpushed_jobs();
  bool try_push_jobs(const std::string& payload);
  void on_pipeline_applied(const LogEntry& entry,
                           const state::ApplyOutcome& outcome);
  void drain_results();
  void serve_results();
  void accept_results(const ResultBatch& batch, std::string_view payload);
  void reset_pipeline();
  Status start_embedded_workers();

  // node_metrics.cc: the metrics and health listener (docs/METRICS.md).
  Status start_metrics();
  void update_metrics(std::uint64_t turn_end_us, std::uint64_t work_us);

  // node_shutdown.cc
  void begin_shutdown();
  // The most up-to-date follower heard from lately, to hand leadership to.
  std::optional<std::string> best_successor() const;
  bool shutdown_done();

  NodeOptions options_;
  MemberOptions self_;  // this node as others reach it (bound endpoints)
  std::atomic<bool> stop_{false};

  zmq::context_t context_;
  bus::CurveKeyPair keys_;  // ours; empty when insecure
  std::unique_ptr<security::AuditLog> audit_log_;
  std::unique_ptr<bus::ZapAuthenticator> zap_;
  zmq::socket_t api_, events_, jobs_, results_, beacons_;
  std::map<std::string, zmq::socket_t> peers_;  // DEALER per peer id
  // What waits to be served (read off api_) and to be read (replies).
  FairIntake<bus::ReceivedMessage> intake_;
  ReplyOutbox outbox_;
  std::uint64_t intake_refused_ = 0;
  LogRateLimit refusal_log_{limits::refusal_log_lines_per_s};
  // Worker results read off results_ and not yet accepted, and their bytes.
  // Leased batches the jobs PUSH did not take (every worker's pipe was
  // full), encoded, oldest first: pushed before anything else, and no new
  // lease is proposed while one waits. At most leasing_jobs_max jobs.
  std::deque<std::string> unpushed_jobs_;
  std::deque<bus::ReceivedMessage> results_backlog_;
  std::size_t results_backlog_bytes_ = 0;
  std::uint64_t results_discarded_ = 0;
  // Declared after api_ so it is destroyed first (it stops monitoring api_).
  std::unique_ptr<bus::SocketMonitor> api_monitor_;

  std::unique_ptr<storage::SqliteStorage> storage_;
  std::unique_ptr<consensus::Raft> raft_;
  // The Ready the log writer is making durable (or the one being
  // finished); the writer refers to it, so it is declared before the
  // writer and outlives it.
  std::optional<consensus::Ready> ready_in_flight_;
  // Writes and fsyncs Readies away from this thread; declared after
  // storage_ so it stops before the storage closes.
  std::unique_ptr<storage::LogWriter> log_writer_;
  state::StateMachine state_;
  // state_'s context store (contexts.db), which state_ owns: committed
  // after every Ready, so reader threads and snapshots see what applied.
  storage::SqliteContextStore* contexts_ = nullptr;
  // Reader threads for get and list over contexts.db; declared after
  // state_ so they stop before the store closes.
  std::unique_ptr<ContextReads> context_reads_;
  std::uint64_t applied_term_ = 0;
  std::uint64_t snapshot_index_ = 0;
  std::uint64_t compaction_refused_index_ = 0;
  // The child writing the next snapshot, while it runs.
  std::optional<SnapshotFork> snapshot_child_;
  // Log rows the latest snapshot covers are still being deleted, a few
  // per turn (SqliteStorage::trim_compacted).
  bool trim_pending_ = false;
  // This node's index in options_.members (snapshot staggering).
  std::uint64_t member_rank_ = 0;
  EventJournal journal_;

  // Consensus view as of the last loop turn, to notice changes.
  consensus::RaftRole last_role_ = consensus::RaftRole::follower;
  std::optional<std::string> last_leader_;
  std::map<std::string, bool> peer_healthy_;
  // When each peer's last consensus message arrived (steady ms). Health is
  // "heard from within an election timeout"; Raft's own recently_active
  // flag is reset at every check-quorum round, so it flaps if read between
  // a reset and the next reply.
  std::map<std::string, std::uint64_t> peer_heard_ms_;
  bool peer_healthy(const std::string& id) const;
  std::uint64_t last_leader_contact_ms_ = 0;  // steady; a message from it
  std::uint64_t started_ms_ = 0;
  std::uint64_t leader_since_ms_ = 0;  // steady; when this node was elected

  // Requests in flight, by where they wait (request_table.h).
  RequestTable requests_;
  // finish_reads ran out of its time budget with confirmed reads left.
  bool reads_left_over_ = false;

  std::chrono::steady_clock::time_point next_tick_;
  // How long each turn of run()'s loop worked, for status; loop_once
  // says how long its poll waited, which is not work.
  LoopTurns loop_turns_;
  TurnPhases turn_phases_;
  LogRateLimit slow_turn_log_{1};
  LogRateLimit slow_apply_log_{1};
  std::uint64_t poll_wait_us_ = 0;
  // The state-machine events of the entries last applied as a follower,
  // published when this node leads (apply_entry says why).
  std::deque<state::StateEvent> follower_events_;
  // Read after the turn's poll, so a slow turn's line counts only its own.
  ThreadSwitches switches_after_poll_;
  std::uint64_t next_beacon_ms_ = 0;
  std::uint64_t next_health_ms_ = 0;
  std::uint64_t next_expiry_ms_ = 0;
  // Audit anchors: when to look at the head next, and the head last sent.
  std::uint64_t next_anchor_ms_ = 0;
  std::uint64_t anchor_sent_seq_ = 0;
  std::string anchor_sent_mac_;
  std::uint64_t next_anchor_id_ = 1;

  // The leader's duty and its worker registry (status's workers).
  LeaderPipeline pipeline_{pipeline_settings(options_)};
  // slurpd --workers N: worker slots in this process, over the same
  // sockets and protocol as slurp-worker.
  std::unique_ptr<worker::Worker> embedded_;
  std::thread embedded_thread_;

  // Shutdown: a leader hands over first, then in-flight requests drain.
  bool stopping_ = false;
  std::uint64_t stop_deadline_ms_ = 0;

  // Written by this thread, read by the listener's HTTP threads; the
  // listener is declared last so it stops first.
  std::shared_ptr<metrics::NodeMetrics> metrics_;
  std::uint64_t next_metrics_ms_ = 0;
  std::uint64_t metrics_log_writes_ = 0;  // LogWriter writes seen
  std::unique_ptr<metrics::MetricsListener> metrics_listener_;
};

}  // namespace slurp::node
