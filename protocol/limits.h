// The one header of named limits. Every queue, buffer, loop and decoder in
// slurp is bounded by a constant here; units (or the counted thing) come last
// in each name. Changing a wire limit is a protocol change: PROTOCOL.md quotes
// these numbers in its "Limits" section.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slurp::limits {

// --- wire: one ZeroMQ message -------------------------------------------
// A whole msgpack payload frame. 4 MiB leaves room for inline file content
// (see content_bytes_max) plus the message around it.
inline constexpr std::size_t message_bytes_max = 4 * 1024 * 1024;
// libzmq's own cap on one frame (ZMQ_MAXMSGSIZE): a peer that sends more is
// disconnected. It sits above message_bytes_max so that a payload a little
// over the protocol limit still arrives and gets a typed too_large reply;
// only a grossly oversized frame costs the connection.
inline constexpr std::size_t socket_frame_bytes_max =
    message_bytes_max + 1024 * 1024;
// Routing id + empty delimiter + payload is 3; one spare for REQ envelopes.
inline constexpr std::size_t frames_per_message_max = 4;
// Nesting of msgpack containers; v1 messages need 4 (envelope, list, item,
// metadata map).
inline constexpr std::size_t msgpack_depth_max = 8;
inline constexpr std::size_t msgpack_array_items_max = 65536;
inline constexpr std::size_t msgpack_map_entries_max = 256;
inline constexpr std::size_t msgpack_string_bytes_max = 1024 * 1024;
inline constexpr std::size_t msgpack_bin_bytes_max = message_bytes_max;
// Every object costs decode memory even when tiny; this caps the tree
// (a 4 MiB message of 1-byte objects would otherwise expand ~24x).
inline constexpr std::size_t msgpack_objects_max = 262144;
// Map keys are field names.
inline constexpr std::size_t field_name_bytes_max = 64;

// --- content -------------------------------------------------------------
inline constexpr std::size_t content_bytes_max = 3 * 1024 * 1024;

// --- UCXL addresses ------------------------------------------------------
inline constexpr std::size_t ucxl_address_bytes_max = 4096;
inline constexpr std::size_t ucxl_identifier_bytes_max = 64;
inline constexpr std::size_t ucxl_path_segments_max = 128;

// --- batches -------------------------------------------------------------
inline constexpr std::size_t append_entries_max = 4096;
inline constexpr std::size_t job_batch_max = 256;
inline constexpr std::size_t result_batch_max = 256;
inline constexpr std::size_t depends_on_max = 1024;
inline constexpr std::size_t snapshot_chunk_bytes_max = 1024 * 1024;
// Log entry bytes one Append may carry. A generate with content_bytes_max
// of content is one entry of a little more, so the default leaves room for
// the request around the content; the most it may be set to leaves room in
// the 4 MiB message for the Append around the entries.
inline constexpr std::size_t append_bytes_default =
    content_bytes_max + 128 * 1024;
inline constexpr std::size_t append_bytes_wire_max =
    message_bytes_max - 512 * 1024;

// --- security --------------------------------------------------------------
inline constexpr std::size_t authorized_keys_max = 4096;
inline constexpr std::size_t authorized_keys_file_bytes_max = 1024 * 1024;
inline constexpr std::size_t key_name_bytes_max = 64;
// A CURVE key file: one 40-character Z85 line plus comment lines.
inline constexpr std::size_t key_file_bytes_max = 4096;

// --- sockets (defaults; config may lower them, never raise past the wire
// limits above) ------------------------------------------------------------
inline constexpr int socket_send_hwm_messages = 10000;
inline constexpr int socket_receive_hwm_messages = 10000;
inline constexpr int socket_linger_ms = 0;
inline constexpr int reconnect_interval_ms = 100;
inline constexpr int reconnect_interval_ms_max = 5000;
inline constexpr int zmtp_heartbeat_interval_ms = 1000;
inline constexpr int zmtp_heartbeat_timeout_ms = 5000;
inline constexpr int handshake_interval_ms = 5000;
inline constexpr int tcp_keepalive_idle_s = 30;
inline constexpr int tcp_keepalive_interval_s = 10;
inline constexpr int tcp_keepalive_count = 3;

// --- client connections on the api ROUTER (src/node/reply_outbox.h,
// fair_intake.h; PROTOCOL.md "Limits") ----------------------------------------
// Replies libzmq holds per connection before a send would block; the rest
// wait in the node's outbox, where their bytes are counted.
inline constexpr int api_send_hwm_messages = 8;
// Replies waiting for one client connection to read; past either bound the
// connection is dropped. Node peers (forward replies) get more.
inline constexpr std::size_t reply_backlog_bytes_max = 8 * 1024 * 1024;
inline constexpr std::size_t reply_backlog_messages_max = 4096;
inline constexpr std::size_t node_reply_backlog_bytes_max = 32 * 1024 * 1024;
inline constexpr std::size_t node_reply_backlog_messages_max = 65536;
// All connections' waiting replies together.
inline constexpr std::size_t reply_backlog_total_bytes_max = 256 * 1024 * 1024;
// A dropped connection's requests are ignored this long; at most this many
// dropped connections are remembered.
inline constexpr std::uint64_t dropped_connection_ms = 10000;
inline constexpr std::size_t dropped_connections_max = 4096;
// Requests read off the api socket and not yet served: per connection and
// in total. One more from a full connection is refused (`unavailable`).
inline constexpr std::size_t intake_messages_max = 512;
inline constexpr std::size_t intake_bytes_max = 16 * 1024 * 1024;
inline constexpr std::size_t intake_total_messages_max = 65536;
inline constexpr std::size_t intake_total_bytes_max = 128 * 1024 * 1024;
// Messages read off the api socket per loop turn (into the intake), and
// requests served from it per turn.
inline constexpr std::size_t api_reads_per_turn_max = 8192;
inline constexpr std::size_t api_requests_per_turn_max = 256;
// Result batches read off the results socket and not yet accepted.
inline constexpr std::size_t results_backlog_bytes_max = 64 * 1024 * 1024;
// Time one loop turn may spend on each of: reading the api socket,
// serving requests from the intake, answering confirmed reads. Raft ticks
// every tick_ms (10) and an election timeout is 150-300 ms; a turn that
// stays within a few of these keeps heartbeats on time under any flood.
inline constexpr std::uint64_t serve_ms_per_turn_max = 5;
// Linearizable reads (get, list, status, job) waiting for read-index.
inline constexpr std::size_t reads_in_flight_max = 4096;
// Waiting replies moved into libzmq per loop turn.
inline constexpr std::size_t reply_flushes_per_turn_max = 4096;
// status's loop_turn_recent_max_ms: the longest loop turn within this
// many seconds, kept as one maximum per second (src/node/loop_turns.h).
// Long enough to catch a stall between two polls of a monitor, short
// enough that one old stall does not hide that the loop is fine now.
inline constexpr std::uint64_t loop_turn_window_s = 10;
// A turn longer than this writes a warning saying where its time went
// (src/node/turn_phases.h), at most once a second: the budget a turn must
// stay within so that heartbeats (every 50 ms) are never late.
inline constexpr std::uint64_t loop_turn_warn_ms = 50;
// Time a node turn spends taking Readies from Raft (persist, apply,
// commit contexts.db) before it serves the sockets again; what is left
// waits for the next turn (Node::process_ready).
inline constexpr std::uint64_t ready_work_per_turn_ms = 20;
// What a reply, log line, audit record or event quotes of the input that
// was refused: a printable prefix this long (UTF-8 bytes, escapes counted).
inline constexpr std::size_t quoted_input_bytes_max = 256;
// An error reply's `message` (escaped like a quote; the rest is cut).
inline constexpr std::size_t error_reason_bytes_max = 512;
// An event attribute's value (an address fits whole).
inline constexpr std::size_t event_attr_bytes_max = 4096 + 64;
// Refused requests the node log reports per second; the rest are counted.
inline constexpr std::uint64_t refusal_log_lines_per_s = 20;
// A node log line's message part, after escaping.
inline constexpr std::size_t log_message_bytes_max = 4096;

// --- the node shell (src/node) ---------------------------------------------
// Client requests a node holds while no leader is known; more: no_quorum.
inline constexpr std::size_t held_requests_max = 1024;
// How long a held request waits for a leader before no_quorum.
inline constexpr std::uint64_t request_hold_ms = 5000;
// Requests a follower has forwarded and not yet seen answered, in all
// and per client connection.
inline constexpr std::size_t forwarded_requests_max = 4096;
// As many as a connection may have waiting in the intake: a client that
// pipelines reads through a follower (slurpctl: 256) is never refused.
inline constexpr std::size_t forwarded_per_connection_max = 512;
// ... where a `list` (a page of up to 1 MiB) counts this many.
inline constexpr std::size_t list_forward_weight = 8;
// A forwarded request unanswered for this long is sent again (to the
// leader then known); generate is idempotent by request_id.
inline constexpr std::uint64_t forward_retry_ms = 2000;
// A request (forwarded, proposed or read) unanswered for this long gets
// `timeout`; the client may retry with the same request_id.
inline constexpr std::uint64_t request_timeout_ms = 10000;
// Clients waiting for job_done (generate with wait) per node.
inline constexpr std::size_t job_waiters_max = 65536;
// Events kept for fetch_events, and the most one events_reply carries.
inline constexpr std::size_t event_history_events_max = 10000;
// The same history bounded by its encoded size (a refused request's event
// quotes at most quoted_input_bytes_max, but many kinds of events exist).
inline constexpr std::size_t event_history_bytes_max = 8 * 1024 * 1024;
inline constexpr std::size_t events_per_reply_max = 1000;
// State-machine events a follower keeps from the entries it applied last,
// to publish again when it becomes leader (its predecessor may have died
// with them unsent): about a second of a busy leader's events.
inline constexpr std::size_t events_republished_max = 4096;
// Node-to-node sockets retry a lost connection this fast (jittered), up
// to the max: a restarted peer must be reachable again well within an
// election timeout.
inline constexpr int peer_reconnect_interval_ms = 20;
inline constexpr int peer_reconnect_interval_ms_max = 200;
// Jobs per batch the leader sends a worker: small enough that PUSH's
// round robin spreads work over workers, large enough to amortize a Raft
// entry per batch.
inline constexpr std::size_t dispatch_batch_jobs_max = 64;
// ... and the dependencies of a batch's jobs, together, at most this many
// (the first job always goes). When a lease applies, the leader reads each
// dependency's context from contexts.db into the directory job that rolls
// it up (about 0.3 ms each). That was on the node thread, where 64
// directory jobs of a few hundred children each took 450 ms of CPU in one
// apply and the followers elected another leader; it is on a reader thread
// now (node/context_reads.h), and this bound keeps one batch's reading and
// message small.
inline constexpr std::size_t dispatch_batch_dependencies_max = 64;
// Leases the leader proposes in one loop turn. Without a bound a new
// leader (or one whose workers just drained) proposed up to
// leasing_jobs_max / dispatch_batch_jobs_max = 64 leases in one turn, each
// pick skipping the jobs already leasing: a 220 ms turn on
// /usr/include (59 ms of CPU), right after an election. Four leases are
// 256 jobs a turn, far more than workers take between two turns.
inline constexpr std::size_t dispatch_leases_per_turn_max = 4;
// Jobs in leases proposed and not yet committed; bounds what a slow disk
// lets pile up.
inline constexpr std::size_t leasing_jobs_max = 4096;
// Encoded bytes of completions one Raft entry carries (an Append carries at
// most append_bytes_max of entry data).
// Small enough that applying one is a few ms of CPU (an entry is applied
// whole; see consensus::Config::apply_bytes_max).
inline constexpr std::size_t complete_command_bytes_max = 128 * 1024;
// How often the leader looks for expired leases and passed deadlines.
inline constexpr std::uint64_t lease_check_interval_ms = 100;
// The leader's jobs PUSH queues at most this many batches per worker: a
// worker that does not keep up gets no more until it drains.
inline constexpr int jobs_send_hwm_batches = 4;
// ... and the kernel's TCP buffers on each end of a jobs connection hold
// about this much (SO_SNDBUF / SO_RCVBUF; Linux doubles it). Left to
// autotuning they grew to megabytes: `generate --by-path` jobs are ~200
// bytes, so thousands of leased jobs sat in a worker's socket and their
// 30 s leases expired before it read them. A larger job still passes; it
// just takes more round trips.
inline constexpr int jobs_socket_buffer_bytes = 16 * 1024;
// How often the leader publishes a beacon.
inline constexpr std::uint64_t beacon_interval_ms = 200;
// A leader that is asked to stop waits at most this long for its
// successor to take over before it exits anyway.
inline constexpr std::uint64_t leadership_transfer_ms = 2000;
// status: workers the leader lists (heard from within worker_forget_ms,
// most recent first) and the window its result rates are averaged over.
inline constexpr std::size_t status_workers_max = 256;
inline constexpr std::uint64_t worker_forget_ms = 60000;
inline constexpr std::uint64_t status_rate_window_ms = 10000;
// list: contexts per page when the request says 0, and the most it may
// ask for (a page also stops before the message limit).
inline constexpr std::size_t list_page_contexts_default = 100;
inline constexpr std::size_t list_page_contexts_max = 1000;
// ... and a page (and an events_reply) stops before this many bytes: what a
// connection that does not read can pile up is counted in replies of this
// size (reply_backlog_bytes_max, api_send_hwm_messages).
inline constexpr std::size_t reply_page_bytes_max = 1024 * 1024;
// ... and before this many msgpack objects: contexts with many symbols
// reached the decoder's msgpack_objects_max (262,144) in a page of 1 MiB.
inline constexpr std::size_t reply_page_objects_max = 65536;
// get and list run on this many reader threads of the node
// (src/node/context_reads.h), and at most this many wait or run at once;
// beyond, a read is answered `unavailable`.
inline constexpr std::size_t context_reader_threads = 2;
inline constexpr std::size_t context_reads_queued_max = 512;
// Finished get/list replies the node sends per loop turn (the rest wait
// for the next turn, which starts at once).
inline constexpr std::size_t context_replies_per_turn_max = 64;
// Log entries a node keeps below its latest snapshot (consensus Config::
// compact_keep_entries): each node compacts at its own applied index, so
// without them a new leader's log could start just past a follower that
// was a few thousand entries behind, and that follower would need the
// whole snapshot (every stored context) instead of a few appends.
inline constexpr std::uint64_t snapshot_catchup_entries = 10000;
// Applied entries between two snapshots of the state machine: the default
// of cluster.toml's [limits] snapshot_interval_entries.
inline constexpr std::uint64_t snapshot_interval_entries = 10000;
// Log rows a snapshot covers that the node deletes per loop turn: entries
// carry file contents, and deleting 20,000 at once took up to 200 ms.
inline constexpr std::uint64_t snapshot_trim_rows_per_turn = 256;
// raft.db and contexts.db: how often a thread of their own copies the WAL
// into the database (src/storage/wal_checkpointer.h). The writer starts
// the WAL over only when a checkpoint has copied all of it; under steady
// writes a checkpoint a second never caught up and the WAL grew past
// 200 MB, so they run often and small.
inline constexpr std::uint64_t wal_checkpoint_interval_ms = 200;
// What a WAL file keeps of its size when the writer starts it over: the
// rest is truncated (PRAGMA journal_size_limit).
inline constexpr std::uint64_t wal_file_kept_bytes = 64 * 1024 * 1024;

// --- the exec engine (slurp-worker --engine exec:CMD; PROTOCOL.md, "Exec
// engine") -------------------------------------------------------------------
// Defaults of --exec-timeout-ms and --exec-output-bytes-max. A command
// still running at the timeout is killed with its process group.
inline constexpr std::uint64_t exec_timeout_ms = 30000;
inline constexpr std::size_t exec_output_bytes_max = 1024 * 1024;
// The most --exec-output-bytes-max may be: the context it becomes must fit
// in one results message.
inline constexpr std::size_t exec_output_bytes_max_allowed = content_bytes_max;
// The most --exec-timeout-ms may be: the longest job lease.
inline constexpr std::uint64_t exec_timeout_ms_max = 3600000;
// Of the command's stderr only the end is kept, for failure reasons.
inline constexpr std::size_t exec_stderr_bytes_max = 4096;
// The end of stderr that goes into a failure reason (whole lines).
inline constexpr std::size_t exec_stderr_reason_bytes_max = 512;
// Nesting of the JSON a command prints (a context needs 3).
inline constexpr std::size_t exec_json_depth_max = 32;
// Items in all the lists of one context (symbols, tags, imports, ...):
// a results message must stay under msgpack_objects_max at the node.
inline constexpr std::size_t exec_context_items_max = 16384;

// --- file_path confinement (PROTOCOL.md, "file_path confinement") ---------
// Roots in cluster.toml's [files] roots or slurp-worker --file-root.
inline constexpr std::size_t file_roots_max = 64;
// One root or one file_path, in bytes (Linux's PATH_MAX).
inline constexpr std::size_t file_path_bytes_max = 4096;
// A read of one file_path must end within this, or the attempt fails.
inline constexpr std::uint64_t file_read_timeout_ms = 10000;
// Bytes per read(2): cancel, SIGTERM and the deadline are checked between
// two chunks.
inline constexpr std::size_t file_read_chunk_bytes = 256 * 1024;
// How long a stopping worker lets running jobs finish before it interrupts
// them, and the most its run() then takes to return (PROTOCOL.md,
// "Workers").
inline constexpr std::uint64_t worker_drain_ms = 1000;
inline constexpr std::uint64_t worker_stop_deadline_ms = 2000;
// Cancelled job ids a worker remembers, to drop a job whose batch arrives
// after its cancel event.
inline constexpr std::size_t worker_cancelled_jobs_max = 4096;

// --- audit (src/security/audit_log.h; PROTOCOL.md "Audit log") -----------
// Each field of a record is quoted (printable_prefix) to at most this many
// bytes before JSON escaping, so a 1 MiB `type` costs a record ~1 KiB.
inline constexpr std::size_t audit_kind_bytes_max = 64;
inline constexpr std::size_t audit_actor_bytes_max = 128;
inline constexpr std::size_t audit_detail_bytes_max = 512;
// One record line, newline included; the verifier refuses longer lines.
// JSON escaping at most doubles the fields above, plus the fixed fields.
inline constexpr std::size_t audit_record_bytes_max = 4096;
// Records waiting for the writer thread: append() never blocks; past
// either bound a record is dropped, counted, and the count is written as
// an "audit.dropped" record.
inline constexpr std::size_t audit_queue_records_max = 8192;
inline constexpr std::size_t audit_queue_bytes_max = 4 * 1024 * 1024;
// Repeated refusals of one (kind, actor, reason) within this interval are
// counted, not written; one "<kind>.repeated" record carries the count.
inline constexpr std::uint64_t audit_refusal_interval_ms = 10000;
// Distinct (kind, actor, reason) keys counted at once; beyond this they
// share one counter ("audit.refusals_other"), so the table cannot grow
// with hostile input.
inline constexpr std::size_t audit_refusal_keys_max = 1024;
// An epoch of the forward-secure MAC ends (its key is replaced by the next
// one and erased) this long after its first record, or after this many
// records, whichever comes first.
inline constexpr std::uint64_t audit_epoch_ms = 10000;
inline constexpr std::uint64_t audit_epoch_records_max = 10000;
// At open, a key file behind the log is evolved forward at most this many
// epochs (a larger gap is treated as a lost key).
inline constexpr std::uint64_t audit_resume_epochs_max = 1000000;
// The writer thread wakes at least this often to end an epoch or emit
// "repeated" summaries, and waits this long after a failed write.
inline constexpr std::uint64_t audit_writer_wakeup_ms = 1000;
inline constexpr std::uint64_t audit_writer_retry_ms = 1000;
// How long closing the log waits for queued records to become durable.
inline constexpr std::uint64_t audit_close_ms_max = 5000;
// Anchors (PROTOCOL.md "audit_anchor"): each node proposes its audit
// head to the replicated log this often when the head moved (and once
// shortly after start), so cutting more than one interval's records from
// the tail of its audit.log is detected. cluster.toml [limits] may change
// the interval (audit_anchor_interval_ms, 100 ms .. 1 h).
inline constexpr std::uint64_t audit_anchor_interval_ms = 30000;
inline constexpr std::uint64_t audit_anchor_first_ms = 2000;
// Anchored heads the replicated state keeps: one per node id; an anchor
// for a node beyond this many is refused. Far above cluster_nodes_max, so
// only a misconfigured or hostile proposer ever meets it.
inline constexpr std::size_t audit_anchor_nodes_max = 64;
// An anchor's node id: the longest node id the config accepts.
inline constexpr std::size_t audit_anchor_node_bytes_max = 64;

// --- request field values (protocol/field_rules.h; PROTOCOL.md "Limits")
// generate.request_id: 1 to this many bytes.
inline constexpr std::size_t request_id_bytes_max = 256;
// A content_hash: hex SHA-256, exactly this many lowercase hex digits.
inline constexpr std::size_t content_hash_hex_chars = 64;
// A client-written context (update_context): summary and purpose ...
inline constexpr std::size_t context_text_bytes_max = 64 * 1024;
// ... each technology, tag, import, todo and symbol name ...
inline constexpr std::size_t context_item_bytes_max = 4096;
// ... language, license, engine, engine_version, a symbol's kind and a
// LanguageShare's language.
inline constexpr std::size_t context_name_bytes_max = 256;

}  // namespace slurp::limits
