#include "src/node/node.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <random>

#include "bus/authorized_keys.h"
#include "bus/poll.h"
#include "bus/received_message.h"
#include "bus/signal_flags.h"
#include "bus/socket.h"
#include "protocol/codec.h"
#include "protocol/limits.h"
#include "src/state/snapshot_frames.h"
#include "src/storage/store_snapshot.h"
#include "src/worker/builtin_engine.h"

namespace slurp::node {
namespace {

// Writes the bound endpoint for scripts and tests that bind port '*':
// temp file + rename, so a reader never sees half a line.
Status write_endpoint_file(const std::filesystem::path& path,
                           const std::string& endpoint) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp);
    out << endpoint << "\n";
    if (!out) {
      return make_error(ErrorCode::internal, "cannot write " + temp.string(),
                        "endpoint_file");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    return make_error(ErrorCode::internal,
                      "cannot rename to " + path.string() + ": " + ec.message(),
                      "endpoint_file");
  }
  return ok_status();
}

// A bind endpoint as others reach it: a wildcard host (0.0.0.0, *) is no
// address to connect to, so the advertised one keeps the configured host.
std::string bound_endpoint(zmq::socket_t& socket) {
  return socket.get(zmq::sockopt::last_endpoint);
}

}  // namespace

namespace {
// The replicated state's bounds. They decide what commands do, so every
// node must be configured alike (cluster.toml is shared for that reason).
// A snapshot's first frame, the core (src/state/snapshot_format.h), read
// without the contexts after it: what a restart needs when contexts.db
// already holds them.
Result<Bytes> first_frame_of(const consensus::SnapshotData& data) {
  constexpr std::size_t kHeader = state::snapshot_frame_header_bytes;
  if (data.size() < kHeader) {
    return make_error(ErrorCode::internal, "snapshot shorter than a frame");
  }
  auto header = data.read(0, kHeader);
  if (!header) return header.error();
  const std::uint64_t n = (std::uint64_t{(*header)[0]} << 24) |
                          (std::uint64_t{(*header)[1]} << 16) |
                          (std::uint64_t{(*header)[2]} << 8) | (*header)[3];
  if (n > data.size() - kHeader) {
    return make_error(ErrorCode::internal, "snapshot ends inside its core");
  }
  return data.read(0, kHeader + static_cast<std::size_t>(n));
}

state::StateLimits state_limits(const config::LimitsConfig& limits) {
  state::StateLimits out;
  out.queue_depth_max = limits.queue_depth_max;
  out.job_attempts_max = limits.job_attempts_max;
  out.aging_interval_ms = limits.aging_interval_ms;
  return out;
}
}  // namespace

Result<std::unique_ptr<Node>> Node::start(const NodeOptions& options) {
  std::unique_ptr<Node> node(new Node(options));
  if (Status s = node->open(options); !s) return s.error();
  return node;
}

Node::Node(const NodeOptions& options)
    : options_(options),
      intake_(limits::intake_total_messages_max,
              limits::intake_total_bytes_max),
      outbox_(
          [this](const Bytes& id, bool delimiter, std::string_view body) {
            return send_on_api(id, delimiter, body);
          },
          limits::reply_backlog_total_bytes_max, limits::dropped_connection_ms,
          limits::dropped_connections_max),
      state_(state_limits(options.limits)),
      journal_(options.node_id, limits::event_history_events_max,
               limits::event_history_bytes_max) {
  if (options_.members.empty()) {
    MemberOptions alone;
    alone.id = options_.node_id;
    options_.members.push_back(alone);
  }
  for (std::size_t i = 0; i < options_.members.size(); ++i) {
    if (options_.members[i].id == options_.node_id) {
      self_ = options_.members[i];
      member_rank_ = i;
    }
  }
}

Node::~Node() {
  if (embedded_) embedded_->stop();
  if (embedded_thread_.joinable()) embedded_thread_.join();
  embedded_.reset();
  if (zap_) zap_->stop();
}

Status Node::open(const NodeOptions& options) {
  started_ms_ = steady_now_ms();
  if (!options.insecure) {
    auto loaded = bus::load_keypair(options.secret_key);
    if (!loaded) return loaded.error();
    keys_ = *loaded;
    if (!self_.public_key_z85.empty() &&
        self_.public_key_z85 != keys_.public_z85) {
      return make_error(ErrorCode::bad_request,
                        "the secret key " + options.secret_key.string() +
                            " does not belong to node " + options.node_id +
                            " (its public key differs from the config's)",
                        "secret_key");
    }
  }
  bus::AuthorizedKeys authorized;
  if (!options.authorized_keys.empty()) {
    auto loaded = bus::load_authorized_keys(options.authorized_keys);
    if (!loaded) return loaded.error();
    authorized = std::move(*loaded);
  } else if (!options.insecure) {
    return make_error(ErrorCode::bad_request,
                      "an authorized-keys file is required without --insecure",
                      "authorized_keys");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return make_error(
        ErrorCode::internal,
        "cannot create " + options.data_dir.string() + ": " + ec.message(),
        "data_dir");
  }
  auto log =
      security::AuditLog::open((options.data_dir / "audit.log").string());
  if (!log) return log.error();
  audit_log_ = std::move(*log);
  if (Status s = open_storage(); !s) return s;
  auto reads = ContextReads::start(options.data_dir.string(),
                                   limits::context_reader_threads);
  if (!reads) return reads.error();
  context_reads_ = std::move(*reads);

  // ZAP first: with nothing bound at the ZAP endpoint libzmq would admit
  // every CURVE peer.
  zap_ = std::make_unique<bus::ZapAuthenticator>(
      context_, std::move(authorized), options.authorized_keys,
      bus::ZapAuthenticator::default_domain, options.insecure,
      [this](const bus::AuthDecision& d) {
        std::string actor =
            d.public_key_z85.empty() ? d.name : d.public_key_z85;
        std::string detail = d.mechanism + " from " + d.peer_address + ": " +
                             d.reason + (d.accepted ? " as " + d.name : "");
        // Anyone can open connections: refusals, and admissions of keys
        // other than the cluster's nodes, are counted per key and interval
        // rather than written one record each (audit_log.h). A node peer's
        // handshakes are few and say when the cluster reconnected.
        Status s =
            d.accepted && d.role == Role::node
                ? audit_log_->append("auth.accepted", actor, detail)
                : audit_log_->refusal(
                      d.accepted ? "auth.accepted" : "auth.refused", actor,
                      d.accepted ? d.mechanism : d.reason, detail);
        if (!s) spdlog::error("audit log: {}", s.error().describe());
        // The ZAP thread calls this; events are published by the node
        // thread, which learns of refusals from the api monitor instead.
      });
  if (Status s = zap_->start(); !s) return s;
  if (Status s = bind_sockets(options); !s) return s;
  if (Status s = connect_peers(); !s) return s;
  if (Status s = start_embedded_workers(); !s) return s;
  if (Status s = start_metrics(); !s) return s;
  if (!options.endpoint_file.empty()) {
    if (Status s =
            write_endpoint_file(options.endpoint_file, self_.api_endpoint);
        !s) {
      return s;
    }
  }
  spdlog::info("node {} serving api on {}, events on {} ({}; {} members)",
               options_.node_id, self_.api_endpoint, self_.events_endpoint,
               options.insecure ? "PLAINTEXT, --insecure" : "CURVE",
               options_.members.size());
  audit("node.started", options_.node_id, "api " + self_.api_endpoint);
  publish("node.up", {{"api", self_.api_endpoint}});
  next_tick_ = std::chrono::steady_clock::now();
  return ok_status();
}

Status Node::open_storage() {
  auto opened = storage::SqliteStorage::open(options_.data_dir.string());
  if (!opened) return opened.error();
  storage_ = std::move(*opened);
  storage::LoadStats stats;
  auto loaded = storage_->load(&stats);
  if (!loaded) return loaded.error();
  if (stats.torn_records_dropped > 0) {
    spdlog::warn("storage: dropped {} torn record(s) at the log's tail",
                 stats.torn_records_dropped);
  }
  auto contexts = storage::SqliteContextStore::open(options_.data_dir.string());
  if (!contexts) return contexts.error();
  const bool fresh_log = !loaded->snapshot && loaded->entries.empty() &&
                         loaded->hard_state.term == 0;
  if (fresh_log && (*contexts)->committed_index() > 0) {
    // A new raft.db beside an old contexts.db (an operator wiped the log
    // only): that history is not this log's, so it must not answer reads
    // or replays.
    spdlog::warn(
        "contexts.db holds contexts up to index {} but the log is "
        "empty: clearing it",
        (*contexts)->committed_index());
    (*contexts)->clear();
    if (Status s = (*contexts)->commit(0, true); !s) return s;
  }
  contexts_ = contexts->get();
  state_ =
      state::StateMachine(state_limits(options_.limits), std::move(*contexts));
  if (loaded->snapshot) {
    // contexts.db was made durable at or past the snapshot's index before
    // the log was compacted to it, so the core is enough; the replay of
    // the entries after it sees the contexts as of each entry
    // (context_store.h). A snapshot from the leader that was installed but
    // whose contexts did not get committed here restores them all.
    const bool contexts_cover =
        contexts_->committed_index() >= loaded->snapshot->meta.last_index;
    const consensus::SnapshotData& data = loaded->snapshot->data;
    auto bytes = contexts_cover ? first_frame_of(data) : data.read_all();
    Status s = !bytes           ? Status(bytes.error())
               : contexts_cover ? state_.restore_core(*bytes)
                                : state_.restore(*bytes);
    if (s && !contexts_cover) {
      s = contexts_->commit(loaded->snapshot->meta.last_index, true);
    }
    if (s) {
      // What Raft sends a follower: the core from the file, the contexts
      // from contexts.db as of the snapshot's index (store_snapshot.h).
      auto core = contexts_cover ? std::move(bytes) : first_frame_of(data);
      if (!core) {
        s = core.error();
      } else {
        loaded->snapshot->data = storage::store_snapshot_data(
            std::move(*core), contexts_->dir(),
            loaded->snapshot->meta.last_index, state_.context_count(),
            state_.context_bytes());
      }
    }
    if (!s) {
      return make_error(
          ErrorCode::internal,
          "stored snapshot does not restore: " + s.error().describe());
    }
    applied_term_ = loaded->snapshot->meta.last_term;
    snapshot_index_ = loaded->snapshot->meta.last_index;
    // Rows the snapshot covers that a crash left before they were trimmed.
    trim_pending_ = true;
  }
  consensus::Config config;
  config.id = options_.node_id;
  for (const MemberOptions& m : options_.members)
    config.members.push_back(m.id);
  config.election_ticks_min = options_.timing.election_ticks_min;
  config.election_ticks_max = options_.timing.election_ticks_max;
  config.heartbeat_ticks = options_.timing.heartbeat_ticks;
  config.append_entries_max = options_.limits.append_entries_max;
  config.append_bytes_max = options_.limits.append_bytes_max;
  config.uncommitted_entries_max = options_.limits.uncommitted_entries_max;
  config.snapshot_bytes_max = options_.limits.snapshot_bytes_max;
  config.compact_keep_entries = limits::snapshot_catchup_entries;
  // Election timeouts must differ between nodes and between restarts.
  std::random_device entropy;
  config.seed = (std::uint64_t{entropy()} << 32) | entropy();
  auto raft = consensus::Raft::create(config, *loaded);
  if (!raft) return raft.error();
  raft_ = std::move(*raft);
  auto writer = storage::LogWriter::start(*storage_);
  if (!writer) return writer.error();
  log_writer_ = std::move(*writer);
  spdlog::info("storage: term {}, {} log entries after snapshot {}, commit {}",
               loaded->hard_state.term, loaded->entries.size(), snapshot_index_,
               loaded->hard_state.commit);
  return ok_status();
}

Status Node::bind_sockets(const NodeOptions& options) {
  bus::SocketSecurity security =
      options.insecure ? bus::SocketSecurity(bus::Insecure{
                             bus::ZapAuthenticator::default_domain})
                       : bus::SocketSecurity(bus::CurveServer{
                             keys_.public_z85, keys_.secret_z85,
                             bus::ZapAuthenticator::default_domain});
  struct Binding {
    zmq::socket_t* socket;
    zmq::socket_type type;
    const std::string* endpoint;
    std::string* advertised;
    const char* field;
  };
  std::string api, events, jobs, results;
  Binding bindings[] = {
      {&api_, zmq::socket_type::router, &options.api_bind, &api, "api"},
      {&events_, zmq::socket_type::pub, &options.events_bind, &events,
       "events"},
      {&jobs_, zmq::socket_type::push, &options.jobs_bind, &jobs, "jobs"},
      {&results_, zmq::socket_type::pull, &options.results_bind, &results,
       "results"},
  };
  // jobs and results admit only workers and nodes (ZAP, work domain).
  const std::string work_domain =
      std::string(bus::ZapAuthenticator::default_domain) +
      bus::ZapAuthenticator::work_domain_suffix;
  bus::SocketSecurity work_security =
      options.insecure ? bus::SocketSecurity(bus::Insecure{work_domain})
                       : bus::SocketSecurity(bus::CurveServer{
                             keys_.public_z85, keys_.secret_z85, work_domain});
  // Every bound socket faces clients or workers: no ZMTP heartbeats
  // (socket_options.h says why). The api and results sockets are drained
  // every turn into bounded queues of the node's own (fair_intake.h), so
  // libzmq's receive side never stops; api replies beyond a few per
  // connection wait in the outbox, counted in bytes (reply_outbox.h).
  bus::SocketOptions facing;
  facing.zmtp_heartbeats = false;
  bus::SocketOptions drained = facing;
  drained.receive_hwm_messages = 0;
  bus::SocketOptions api_options = drained;
  api_options.send_hwm_messages = limits::api_send_hwm_messages;
  // A worker that does not keep up gets no more batches: PUSH skips a
  // full pipe (see src/worker/worker.h on flow control). Set before bind:
  // libzmq gives the connections a listener accepts the options the
  // socket had when it bound, so the high-water mark this socket used to
  // get after bind() never applied, and a leader pushed thousands of
  // leased jobs into its workers' pipes, where their leases ran out.
  bus::SocketOptions jobs_options = facing;
  jobs_options.send_hwm_messages = limits::jobs_send_hwm_batches;
  jobs_options.send_buffer_bytes = limits::jobs_socket_buffer_bytes;
  for (Binding& b : bindings) {
    try {
      const bool work = b.socket == &jobs_ || b.socket == &results_;
      const bus::SocketOptions& options = b.socket == &api_       ? api_options
                                          : b.socket == &results_ ? drained
                                          : b.socket == &jobs_    ? jobs_options
                                                                  : facing;
      *b.socket = bus::make_socket(context_, b.type,
                                   work ? work_security : security, options);
      if (b.socket == &api_) {
        // Monitor before binding so no handshake failure goes unrecorded: a
        // plaintext client or a wrong server key fails before ZAP is asked.
        api_monitor_ = std::make_unique<bus::SocketMonitor>(
            context_, api_,
            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_DISCONNECTED);
      }
      b.socket->bind(*b.endpoint);
      *b.advertised = bound_endpoint(*b.socket);
    } catch (const zmq::error_t& e) {
      return make_error(ErrorCode::bad_request,
                        "cannot bind " + *b.endpoint + ": " + e.what(),
                        b.field);
    }
  }
  // From the config, members advertise their host; a node started from
  // flags alone advertises what it bound.
  if (self_.api_endpoint.empty()) self_.api_endpoint = api;
  if (self_.events_endpoint.empty()) self_.events_endpoint = events;
  if (self_.jobs_endpoint.empty()) self_.jobs_endpoint = jobs;
  if (self_.results_endpoint.empty()) self_.results_endpoint = results;
  if (self_.public_key_z85.empty()) self_.public_key_z85 = keys_.public_z85;
  return ok_status();
}

// Peers reconnect fast: a DEALER drops what it cannot deliver (immediate),
// so while one link is down after a peer restarts, that peer's replies are
// lost, and a leadership handed to it can fail for want of a majority. The
// default back-off (up to 5 s) suits clients, not a handful of peers.
namespace {
bus::SocketOptions peer_socket_options() {
  bus::SocketOptions options;
  options.reconnect_interval_ms = limits::peer_reconnect_interval_ms;
  options.reconnect_interval_ms_max = limits::peer_reconnect_interval_ms_max;
  // Drained every turn, so their input never stops (fair_intake.h says why
  // that matters with ZMTP heartbeats on). What a leader may send us is
  // bounded by its outbox budget for us (node_reply_backlog_bytes_max).
  options.receive_hwm_messages = 0;
  return options;
}
}  // namespace

Status Node::connect_peers() {
  const bus::SocketOptions peer_options = peer_socket_options();
  for (const MemberOptions& m : options_.members) {
    if (m.id == options_.node_id) continue;
    bus::SocketSecurity security =
        bus::CurveClient{keys_.public_z85, keys_.secret_z85, m.public_key_z85};
    try {
      zmq::socket_t dealer = bus::make_socket(
          context_, zmq::socket_type::dealer, security, peer_options);
      dealer.connect(m.api_endpoint);
      peers_.emplace(m.id, std::move(dealer));
      if (!beacons_) {
        beacons_ = bus::make_socket(context_, zmq::socket_type::sub, security,
                                    peer_options);
        beacons_.set(zmq::sockopt::subscribe, "beacon");
      }
    } catch (const zmq::error_t& e) {
      return make_error(ErrorCode::bad_request,
                        "cannot connect to " + m.id + " at " + m.api_endpoint +
                            ": " + e.what(),
                        "members");
    }
  }
  // One SUB reaches every peer's events; its CURVE server key must match
  // each peer's, so a SUB per peer would be needed with distinct keys.
  // libzmq sets CURVE_SERVERKEY per connect() call (it is read when the
  // connection is made), so we set it before each connect.
  for (const MemberOptions& m : options_.members) {
    if (m.id == options_.node_id || !beacons_) continue;
    try {
      beacons_.set(zmq::sockopt::curve_serverkey, m.public_key_z85);
      beacons_.connect(m.events_endpoint);
    } catch (const zmq::error_t& e) {
      return make_error(ErrorCode::bad_request,
                        "cannot subscribe to " + m.id + " at " +
                            m.events_endpoint + ": " + e.what(),
                        "members");
    }
  }
  return ok_status();
}

int Node::run() {
  while (true) {
    const std::uint64_t turn_start_us = steady_now_us();
    if ((stop_.load() || bus::stop_requested()) && !stopping_) {
      begin_shutdown();
    }
    if (stopping_ && shutdown_done()) break;
    if (bus::take_reload_request()) {
      Status s = zap_->reload();
      if (s) {
        spdlog::info("authorized keys reloaded: {} keys", zap_->key_count());
      }
      audit("auth.reload", options_.node_id, s ? "ok" : s.error().describe());
    }
    turn_phases_.clear();
    const std::uint64_t cpu_start_us = thread_cpu_us();
    loop_once();
    const std::uint64_t turn_end_us = steady_now_us();
    const std::uint64_t work_us = turn_end_us - turn_start_us - poll_wait_us_;
    loop_turns_.record(turn_end_us, work_us);
    update_metrics(turn_end_us, work_us);
    note_slow_turn(work_us, cpu_start_us);
  }
  spdlog::info("node {} stopping", options_.node_id);
  audit("node.stopped", options_.node_id, "");
  return 0;
}

void Node::note_slow_turn(std::uint64_t work_us, std::uint64_t cpu_start_us) {
  if (work_us < limits::loop_turn_warn_ms * 1000) return;
  std::uint64_t left_out = 0;
  if (!slow_turn_log_.allow(steady_now_ms(), &left_out)) return;
  const ThreadSwitches switches = thread_switches().since(switches_after_poll_);
  spdlog::warn(
      "loop turn took {:.1f} ms ({:.1f} ms on a core, blocked {} and "
      "preempted {} times): {}{}",
      static_cast<double>(work_us) / 1000.0,
      static_cast<double>(thread_cpu_us() - cpu_start_us) / 1000.0,
      switches.blocked, switches.preempted, turn_phases_.describe(work_us),
      left_out > 0 ? fmt::format(" ({} more slow turns not logged)", left_out)
                   : std::string());
}

void Node::loop_once() {
  std::vector<zmq_pollitem_t> items{
      zmq_pollitem_t{api_.handle(), 0, ZMQ_POLLIN, 0}, api_monitor_->pollitem(),
      zmq_pollitem_t{results_.handle(), 0, ZMQ_POLLIN, 0},
      zmq_pollitem_t{nullptr, context_reads_->wake_fd(), ZMQ_POLLIN, 0},
      zmq_pollitem_t{nullptr, log_writer_->wake_fd(), ZMQ_POLLIN, 0}};
  if (beacons_) items.push_back({beacons_.handle(), 0, ZMQ_POLLIN, 0});
  const std::size_t first_peer = items.size();
  for (auto& [id, socket] : peers_) {
    items.push_back({socket.handle(), 0, ZMQ_POLLIN, 0});
  }
  auto now = std::chrono::steady_clock::now();
  // Rounded up: rounded down, the last part of a millisecond before each
  // tick was a poll of 0 ms, again and again, and an idle node turned its
  // loop about 10,000 times a second, CPU the other nodes on the machine
  // needed.
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_tick_ - now);
  if (wait.count() < 0) wait = std::chrono::milliseconds(0);
  // While the log writer syncs, the next Ready waits for it: the poll
  // wakes on its eventfd.
  if (raft_->has_ready() && !log_writer_->busy()) {
    wait = std::chrono::milliseconds(0);
  }
  // Work left over from the last turn's time budget: look at the sockets
  // and go on at once. Replies waiting for slow readers are retried at
  // least every few ms.
  const bool results_waiting = !results_backlog_.empty() && raft_->leader();
  if (intake_.messages() > 0 || results_waiting || reads_left_over_) {
    wait = std::chrono::milliseconds(0);
  } else if (outbox_.backlog_peers() > 0) {
    wait = std::min(wait, std::chrono::milliseconds(2));
  }
  const std::uint64_t poll_start_us = steady_now_us();
  const int ready = bus::poll_items(items, wait);
  poll_wait_us_ = steady_now_us() - poll_start_us;
  switches_after_poll_ = thread_switches();
  std::optional<PhaseTimer> sockets(std::in_place, turn_phases_,
                                    TurnPhase::sockets);
  if (ready > 0) {
    if (items[0].revents & ZMQ_POLLIN) drain_api();
    if (items[1].revents & ZMQ_POLLIN) {
      api_monitor_->drain(
          [this](const bus::MonitorEvent& e) { on_api_event(e); });
    }
    if (items[2].revents & ZMQ_POLLIN) drain_results();
    if (beacons_ && (items[5].revents & ZMQ_POLLIN)) {
      while (auto r = bus::receive_message(beacons_)) {
        if (*r && (*r)->frames.size() == 2) {
          auto m = decode(std::string_view((*r)->frames[1].data<char>(),
                                           (*r)->frames[1].size()));
          if (m && std::holds_alternative<Beacon>(*m)) {
            const Beacon& b = std::get<Beacon>(*m);
            if (b.leader && raft_->leader() && *b.leader == *raft_->leader()) {
              last_leader_contact_ms_ = steady_now_ms();
            }
          }
        }
      }
    }
    bool peer_ready = false;
    for (std::size_t i = first_peer; i < items.size(); ++i) {
      if (items[i].revents & ZMQ_POLLIN) peer_ready = true;
    }
    if (peer_ready) serve_peer_replies();
  }
  serve_api();
  send_context_replies();
  serve_results();
  outbox_.flush(limits::reply_flushes_per_turn_max);
  sockets.reset();
  tick_until_now();
  // Role changes come from steps and ticks, never from a Ready: noticed
  // before the pipeline runs, so a new leader's first dispatch and every
  // proposal of this turn share the turn's one Ready (one fsync).
  after_consensus_change();
  {
    PhaseTimer timer(turn_phases_, TurnPhase::pipeline);
    run_pipeline();
  }
  process_ready();
  finish_reads();
  // Also notices a snapshot child that has finished. Not while the log
  // writer has the storage: finish_ready() calls it once the write is done.
  if (!log_writer_->busy()) maybe_compact();
  retry_held();
  expire_requests();
  anchor_audit_head();
  const std::uint64_t steady_now = steady_now_ms();
  if (raft_->role() == consensus::RaftRole::leader &&
      steady_now >= next_beacon_ms_) {
    publish_beacon();
    next_beacon_ms_ = steady_now + limits::beacon_interval_ms;
  }
  if (steady_now >= next_health_ms_) {
    check_health();
    next_health_ms_ =
        steady_now + options_.timing.tick_ms * options_.timing.heartbeat_ticks;
  }
}

// The monitor has logged the event already; handshake failures before ZAP
// (plaintext client, wrong server key, garbage) are audited here because
// ZAP never saw them. Refusals by ZAP itself are audited by its callback.
void Node::on_api_event(const bus::MonitorEvent& event) {
  if (event.id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
    publish("auth.failed",
            {{"peer", event.endpoint}, {"reason", "key refused by ZAP"}});
    return;
  }
  if (event.id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
      event.id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
    std::string detail(event.name);
    if (event.id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
      detail += ": ";
      detail += bus::protocol_error_name(event.value);
    }
    audit_refusal("auth.handshake_failed", event.endpoint,
                  make_error(ErrorCode::unauthenticated, detail));
    publish("auth.failed", {{"peer", event.endpoint}, {"reason", detail}});
  }
}

// Refusals are many and cheap to cause: the audit log counts repeats per
// requester instead of writing each, and the node log says a few per
// second (refusal_log_lines_per_s) and how many it left out.
void Node::audit_refusal(std::string_view kind, std::string_view actor,
                         const Error& error) {
  if (Status s = audit_log_->refusal(kind, actor, error_name(error.code),
                                     error.describe());
      !s) {
    spdlog::error("audit log: {}", s.error().describe());
  }
}

void Node::publish_refusal(std::string_view requester, const Error& error) {
  publish("request.rejected", {{"requester", std::string(requester)},
                               {"code", std::string(error_name(error.code))},
                               {"reason", error.reason}});
}

void Node::audit(std::string_view kind, std::string_view actor,
                 std::string_view detail) {
  if (Status s = audit_log_->append(kind, actor, detail); !s) {
    spdlog::error("audit log: {}", s.error().describe());
  }
}

}  // namespace slurp::node

namespace slurp::node {

Status Node::start_embedded_workers() {
  if (options_.embedded_workers == 0) return ok_status();
  worker::WorkerOptions options;
  options.name = options_.node_id + "/embedded";
  options.keys = keys_;
  options.insecure = options_.insecure;
  options.concurrency = options_.embedded_workers;
  // Like any worker: every node's jobs and results, so it keeps working
  // for whichever node leads.
  for (const MemberOptions& m : options_.members) {
    const MemberOptions& target = m.id == options_.node_id ? self_ : m;
    options.nodes.push_back(
        worker::WorkerNode{m.id, target.jobs_endpoint, target.results_endpoint,
                           target.public_key_z85, target.events_endpoint});
  }
  // The same file_path confinement as a slurp-worker with this cluster.toml.
  embedded_ = std::make_unique<worker::Worker>(
      context_, options,
      std::make_shared<worker::BuiltinEngine>(limits::content_bytes_max,
                                              options_.file_roots));
  if (Status s = embedded_->connect(); !s) return s;
  embedded_thread_ = std::thread([this] { embedded_->run(); });
  spdlog::info("{} embedded worker slot(s) running", options_.embedded_workers);
  return ok_status();
}

}  // namespace slurp::node
