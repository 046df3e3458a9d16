// Where a client request is served: here when this node leads (writes
// through the Raft log, reads through read-index), at the leader when one
// is known (forward), or later (held) while there is none.
#include <spdlog/spdlog.h>

#include "protocol/codec.h"
#include "protocol/field_rules.h"
#include "protocol/limits.h"
#include "protocol/record_codec.h"
#include "protocol/ucxl_address.h"
#include "src/config/file_roots.h"
#include "src/node/node.h"
#include "src/node/write_admission.h"
#include "src/worker/builtin_engine.h"
#include "src/worker/confined_file.h"

namespace slurp::node {
namespace {

// Requests whose answer is this node's own: no leader needed.
bool served_locally(const ClientRequestMessage& m) {
  if (std::holds_alternative<Ping>(m)) return true;
  if (std::holds_alternative<FetchEvents>(m)) return true;
  if (auto* s = std::get_if<StatusRequest>(&m)) return s->stale;
  if (auto* g = std::get_if<GetContext>(&m)) return g->stale;
  if (auto* l = std::get_if<ListContexts>(&m)) return l->stale;
  if (auto* j = std::get_if<JobQuery>(&m)) return j->stale;
  return false;
}

Result<std::string> canonical_address(const std::string& text,
                                      const std::string& field) {
  auto parsed = parse_ucxl(text);
  if (!parsed) {
    Error e = parsed.error();
    e.field = field + (e.field.empty() ? "" : "." + e.field);
    return e;
  }
  return parsed->to_string();
}

// How long expiry scans wait between runs: they walk every map of
// in-flight requests, so not on every loop turn.
constexpr std::uint64_t kExpiryScanIntervalMs = 50;

}  // namespace

void Node::route_request(ClientRequest request) {
  if (request.sent && std::holds_alternative<UpdateContext>(request.request)) {
    refuse(request,
           make_error(ErrorCode::unavailable,
                      "the leader changed while this update was in flight; "
                      "it may or may not be stored: `get` the address to see"));
    return;
  }
  if (served_locally(request.request)) {
    serve_locally(std::move(request));
    return;
  }
  const std::optional<std::string> leader = raft_->leader();
  if (raft_->role() == consensus::RaftRole::leader) {
    serve_as_leader(std::move(request));
  } else if (leader && *leader != options_.node_id &&
             request.not_before_ms <= steady_now_ms()) {
    forward(std::move(request), *leader);
  } else {
    hold(std::move(request));
  }
}

void Node::serve_locally(ClientRequest request) {
  const ClientRequestMessage& m = request.request;
  if (auto* ping = std::get_if<Ping>(&m)) {
    reply_to(request,
             Pong{ping->id, options_.node_id, request.requester,
                  std::string(role_name(request.role)), wall_now_ms()});
  } else if (auto* fetch = std::get_if<FetchEvents>(&m)) {
    std::size_t limit =
        fetch->limit == 0
            ? limits::events_per_reply_max
            : std::min<std::size_t>(fetch->limit, limits::events_per_reply_max);
    reply_to(request,
             EventsReply{fetch->id, journal_.first_available_seq(),
                         journal_.since(fetch->from_seq, limit,
                                        limits::reply_page_bytes_max)});
  } else if (!hand_to_readers(request)) {
    reply_to(request, answer_read(request, true));
  }
}

void Node::serve_as_leader(ClientRequest request) {
  const std::uint64_t wall_now = wall_now_ms();
  const ClientRequestMessage& m = request.request;
  if (auto* a = std::get_if<AuditAnchorRequest>(&m)) {
    const AuditAnchorRequest anchor = *a;
    serve_audit_anchor(std::move(request), anchor);
    return;
  }
  if (auto* g = std::get_if<Generate>(&m)) {
    if (Status s = check_generate(*g); !s) {
      refuse(request, s.error());
      return;
    }
    // With [files] roots in cluster.toml, a file_path outside them is
    // refused here, with the workers' one reason (nothing about the file
    // is looked at, so nothing leaks). Without them the node cannot know a
    // worker's --file-root, and the workers refuse (PROTOCOL.md, "file_path
    // confinement").
    if (g->file_path && !g->content && !options_.file_roots.empty() &&
        !config::path_under_roots(options_.file_roots, *g->file_path)) {
      refuse(request,
             make_error(ErrorCode::not_found, std::string(worker::kFileRefused),
                        "file_path"));
      return;
    }
    auto address = canonical_address(g->address, "address");
    if (!address) {
      refuse(request, address.error());
      return;
    }
    state::EnqueueCommand command;
    for (std::size_t i = 0; i < g->depends_on.size(); ++i) {
      auto dep = canonical_address(g->depends_on[i],
                                   "depends_on[" + std::to_string(i) + "]");
      if (!dep) {
        refuse(request, dep.error());
        return;
      }
      command.depends_on.push_back(*dep);
    }
    // A retry of a request the state already holds is answered at once:
    // what is in the applied state is committed.
    if (auto job = state_.job_for_request(request.requester, g->request_id)) {
      state::ApplyOutcome outcome;
      outcome.job_id = *job;
      outcome.outcome = "duplicate";
      answer_applied(std::move(request), LogEntry{}, outcome);
      return;
    }
    command.request_id = g->request_id;
    command.requester = request.requester;
    command.role = std::string(role_name(request.role));
    command.address = *address;
    command.content = g->content;
    if (Status s = set_content_hash(*g, command); !s) {
      refuse(request, s.error());
      return;
    }
    command.file_path = g->file_path;
    command.priority = g->priority;
    command.deadline_ms = g->deadline_ms;
    command.time_ms = wall_now;
    // Cache hits need the engine the workers run by default; contexts
    // from another engine (noop, exec) never match, which is safe.
    command.engine_version = std::string(worker::kBuiltinEngineVersion);
    propose(std::move(request), state::CommandKind::enqueue,
            encode_record(command));
  } else if (auto* c = std::get_if<Cancel>(&m)) {
    // The ownership rule is the state machine's (decided again when the
    // command applies); asking now refuses early, without a log entry.
    state::CancelCommand command{c->job_id, request.requester, wall_now,
                                 std::string(role_name(request.role))};
    if (auto refusal = state_.check_cancel(command)) {
      refuse(request, *refusal);
      return;
    }
    propose(std::move(request), state::CommandKind::cancel,
            encode_record(command));
  } else if (auto* u = std::get_if<UpdateContext>(&m)) {
    auto address = canonical_address(u->context.address, "context.address");
    if (!address) {
      refuse(request, address.error());
      return;
    }
    if (Status s = check_client_context(u->context, "context."); !s) {
      refuse(request, s.error());
      return;
    }
    state::UpdateContextCommand command{u->context, request.requester, wall_now,
                                        std::string(role_name(request.role))};
    command.context.address = *address;
    if (auto refusal = state_.check_update(command)) {
      refuse(request, *refusal);
      return;
    }
    propose(std::move(request), state::CommandKind::update_context,
            encode_record(command));
  } else if (std::holds_alternative<StatusRequest>(m) ||
             std::holds_alternative<GetContext>(m) ||
             std::holds_alternative<ListContexts>(m) ||
             std::holds_alternative<JobQuery>(m)) {
    start_read(std::move(request));
  } else {
    serve_locally(std::move(request));
  }
}

void Node::propose(ClientRequest request, state::CommandKind kind, Bytes data) {
  auto index =
      raft_->propose(static_cast<std::uint64_t>(kind), std::move(data));
  if (!index) {
    if (index.error().code == ErrorCode::not_leader) {
      route_request(std::move(request));
    } else if (index.error().code == ErrorCode::conflict) {
      // A leadership transfer is under way: the successor will take it.
      hold(std::move(request));
    } else {
      refuse(request, index.error());
    }
    return;
  }
  request.sent = true;
  requests_.proposed(*index, raft_->term(), std::move(request));
}

void Node::start_read(ClientRequest request) {
  if (auto refusal = requests_.read_refusal()) {
    refuse(request, *refusal);
    return;
  }
  const std::uint64_t id = requests_.next_read_id();
  if (Status s = raft_->read_index(id); !s) {
    if (s.error().code == ErrorCode::not_leader) {
      route_request(std::move(request));
    } else {
      refuse(request, s.error());
    }
    return;
  }
  requests_.add_read(id, std::move(request));
}

// Serves confirmed reads once the state machine has caught up to them, for
// at most serve_ms_per_turn_max per turn: a page of `list` costs up to a
// few ms, and a thousand confirmed at once must not starve Raft's ticks.
// What is left waits for the next turn, in order.
bool Node::hand_to_readers(const ClientRequest& request) {
  ContextReads::Read read;
  if (auto* get = std::get_if<GetContext>(&request.request)) {
    read.request = *get;
  } else if (auto* list = std::get_if<ListContexts>(&request.request)) {
    read.request = *list;
  } else {
    return false;
  }
  read.route = request.route;
  read.role = request.role;
  if (!context_reads_->submit(std::move(read))) {
    refuse(request, make_error(ErrorCode::unavailable,
                               "every reader of this node is busy; retry "
                               "shortly"));
  }
  return true;
}

// Replies the reader threads finished, a bounded number per turn (each is
// one page at most).
void Node::send_context_replies() {
  for (ContextReads::Done& done :
       context_reads_->take_done(limits::context_replies_per_turn_max)) {
    if (done.job_batches.empty()) {
      send_route(done.route, std::move(done.payload));
      continue;
    }
    // Jobs filled for a term this node no longer leads are dropped like
    // unpushed ones (reset_pipeline): their leases expire where they are.
    if (raft_->role() != consensus::RaftRole::leader ||
        raft_->term() != done.jobs_term) {
      continue;
    }
    for (std::string& payload : done.job_batches) {
      push_job_payload(std::move(payload));
    }
  }
}

void Node::finish_reads() {
  const std::uint64_t until = steady_now_ms() + limits::serve_ms_per_turn_max;
  // A few at a time, so the clock is looked at between pages.
  constexpr std::size_t kReadsPerCheck = 8;
  reads_left_over_ = false;
  for (;;) {
    auto due = requests_.take_reads_due(state_.applied_index(), kReadsPerCheck);
    if (due.empty()) return;
    for (ClientRequest& read : due) {
      // A page for a connection that is not reading what it has (a
      // client, or a follower relaying a client's flood) would only be
      // built to be discarded: answer it short instead, before spending
      // the time.
      const ReplyRoute& route = read.route;
      const std::size_t congested =
          (route.node_peer ? limits::node_reply_backlog_bytes_max
                           : limits::reply_backlog_bytes_max) /
          2;
      if (outbox_.backlog_bytes_of(route.routing_id) >= congested) {
        reply_to(read, to_error_reply(read.id,
                                      make_error(ErrorCode::unavailable,
                                                 "replies to this connection "
                                                 "are backed up; read them, "
                                                 "then retry")));
        continue;
      }
      if (!hand_to_readers(read)) reply_to(read, answer_read(read, false));
    }
    if (steady_now_ms() >= until) {
      reads_left_over_ = true;
      return;
    }
  }
}

void Node::forward(ClientRequest request, const std::string& leader) {
  if (auto refusal = requests_.forward_refusal(request)) {
    refuse(request, *refusal);
    return;
  }
  auto peer = peers_.find(leader);
  if (peer == peers_.end()) {
    hold(std::move(request));
    return;
  }
  Forward f;
  f.forward_id = requests_.next_forward_id();
  f.term = raft_->term();
  f.requester = request.requester;
  f.requester_role = std::string(role_name(request.role));
  f.request.assign(request.payload.begin(), request.payload.end());
  const std::string payload = encode(f);
  bool sent = false;
  try {
    sent = peer->second.send(zmq::buffer(payload), zmq::send_flags::dontwait)
               .has_value();
  } catch (const zmq::error_t& e) {
    spdlog::debug("forward to {}: {}", leader, e.what());
  }
  if (!sent) {
    // No live connection to the leader yet: keep it and try again soon.
    request.not_before_ms = steady_now_ms() + options_.timing.tick_ms;
    hold(std::move(request));
    return;
  }
  request.sent = true;
  requests_.add_forwarded(std::move(request), leader, steady_now_ms());
}

void Node::hold(ClientRequest request) {
  if (auto refused = requests_.hold(std::move(request))) {
    refuse(refused->request, refused->error);
  }
}

void Node::retry_held() {
  if (requests_.held_count() == 0 || !raft_->leader()) return;
  for (ClientRequest& request : requests_.take_held_due(steady_now_ms())) {
    route_request(std::move(request));
  }
}

void Node::expire_requests() {
  const std::uint64_t steady_now = steady_now_ms();
  if (steady_now < next_expiry_ms_) return;
  next_expiry_ms_ = steady_now + kExpiryScanIntervalMs;
  RequestTable::Expired expired =
      requests_.expire(steady_now, [&](const Bytes& connection) {
        return outbox_.dropped(connection, steady_now);
      });
  for (const RequestTable::Refused& r : expired.refused) {
    refuse(r.request, r.error);
  }
  for (ClientRequest& request : expired.resend) {
    route_request(std::move(request));
  }
}

// This node led and does not any more. Its clients' requests go to the new
// leader (generate and cancel are idempotent; reads are simply asked
// again); requests a follower forwarded are bounced with not_leader so that
// follower re-routes them itself.
void Node::reroute_after_step_down() {
  for (ClientRequest& request : requests_.take_leader_requests()) {
    if (request.route.forward_id) {
      reply_to(request, not_leader_reply(request.id));
    } else {
      route_request(std::move(request));
    }
  }
}

void Node::reply_to(const ClientRequest& request, const Message& reply) {
  send_route(request.route, encode(reply));
}

void Node::send_route(const ReplyRoute& route, std::string payload) {
  if (route.forward_id) {
    payload = encode(
        ForwardReply{*route.forward_id, Bytes(payload.begin(), payload.end())});
  }
  const ReplyOutbox::Budget budget =
      route.node_peer
          ? ReplyOutbox::Budget{limits::node_reply_backlog_bytes_max,
                                limits::node_reply_backlog_messages_max, false}
          : ReplyOutbox::Budget{limits::reply_backlog_bytes_max,
                                limits::reply_backlog_messages_max, true};
  const std::uint64_t steady_now = steady_now_ms();
  if (outbox_.send(route.routing_id, route.delimiter, std::move(payload),
                   budget, steady_now) == ReplyOutbox::Outcome::peer_dropped) {
    intake_.forget(route.routing_id);
    spdlog::warn(
        "api: dropped a connection that does not read its replies (over {} "
        "bytes or {} replies waiting); its requests are ignored for {} ms",
        budget.bytes_max, budget.messages_max, limits::dropped_connection_ms);
    audit("connection.dropped", "api",
          "replies unread past the budget of " +
              std::to_string(budget.bytes_max) + " bytes / " +
              std::to_string(budget.messages_max) + " replies");
  }
}

// One reply into libzmq, never blocking: a full pipe (this connection has
// api_send_hwm_messages unread) or a vanished connection is reported, and
// the outbox decides.
ReplyOutbox::SendResult Node::send_on_api(const Bytes& routing_id,
                                          bool delimiter,
                                          std::string_view body) {
  try {
    if (!api_.send(zmq::buffer(routing_id),
                   zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return ReplyOutbox::SendResult::would_block;
    }
    // With the routing id taken, the rest of the message always goes.
    if (delimiter) {
      api_.send(zmq::message_t(),
                zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    }
    api_.send(zmq::buffer(body.data(), body.size()), zmq::send_flags::dontwait);
    return ReplyOutbox::SendResult::sent;
  } catch (const zmq::error_t& e) {
    // router_mandatory: the client left before its answer was ready.
    spdlog::debug("api: reply not delivered: {}", e.what());
    return ReplyOutbox::SendResult::unroutable;
  }
}

void Node::refuse(const ClientRequest& request, const Error& error) {
  std::uint64_t left_out = 0;
  const bool log = refusal_log_.allow(steady_now_ms(), &left_out);
  if (left_out > 0) {
    spdlog::warn("api: {} more refusals not logged (at most {} a second)",
                 left_out, limits::refusal_log_lines_per_s);
  }
  if (log) {
    spdlog::warn("api: refused request from {}: {}", request.requester,
                 error.describe());
  }
  audit_refusal("request.rejected", request.requester, error);
  publish_refusal(request.requester, error);
  if (metrics_) {
    metrics_->request_refused(
        request.decoded ? std::optional(request.request.index()) : std::nullopt,
        error.code);
  }
  reply_to(request, to_error_reply(request.id, error));
}

void Node::answer_applied(ClientRequest request, const LogEntry& entry,
                          const state::ApplyOutcome& outcome) {
  (void)entry;
  if (outcome.error) {
    refuse(request, *outcome.error);
    return;
  }
  const ClientRequestMessage& m = request.request;
  if (auto* g = std::get_if<Generate>(&m)) {
    reply_to(request, GenerateReply{g->id, outcome.job_id, outcome.outcome});
    if (metrics_) {
      metrics_->generate_acknowledged(
          static_cast<double>(steady_now_ms() - request.received_ms) / 1e3);
    }
    publish("request.accepted", {{"requester", request.requester},
                                 {"request_id", g->request_id},
                                 {"job_id", std::to_string(outcome.job_id)},
                                 {"outcome", outcome.outcome}});
    if (!g->wait) return;
    const state::JobRecord* job = state_.job(outcome.job_id);
    if (job == nullptr || state::job_state_ended(job->state)) {
      // A cached answer's job may be long forgotten: it completed.
      reply_to(request, JobDone{g->id, outcome.job_id,
                                job ? std::string(job_state_name(job->state))
                                    : std::string("completed"),
                                job ? job->error : std::nullopt});
    } else {
      request.replied = true;
      if (!requests_.add_waiter(outcome.job_id, std::move(request))) {
        spdlog::warn("{} clients already wait for jobs; job {} has no waiter",
                     requests_.waiter_count(), outcome.job_id);
      }
    }
  } else if (auto* c = std::get_if<Cancel>(&m)) {
    reply_to(request,
             CancelReply{c->id, c->job_id,
                         std::string(job_state_name(outcome.job_state.value_or(
                             state::JobState::cancelled)))});
  } else if (auto* u = std::get_if<UpdateContext>(&m)) {
    reply_to(request, UpdateReply{u->id, outcome.address, outcome.version});
  } else if (std::holds_alternative<AuditAnchorRequest>(m)) {
    answer_audit_anchor(request, outcome);
  }
}

void Node::notify_job_ended(const state::JobEnded& ended) {
  for (const ClientRequest& waiter : requests_.take_waiters(ended.job_id)) {
    reply_to(waiter,
             JobDone{waiter.id, ended.job_id,
                     std::string(job_state_name(ended.state)), ended.error});
  }
}

ErrorReply Node::not_leader_reply(std::uint64_t id) const {
  ErrorReply reply = to_error_reply(
      id, make_error(ErrorCode::not_leader,
                     raft_->leader() ? "ask " + *raft_->leader()
                                     : "no leader is known yet; retry"));
  if (auto leader = raft_->leader()) {
    reply.leader = *leader;
    if (const MemberOptions* m = member(*leader)) {
      reply.leader_endpoint = m->api_endpoint;
    }
  }
  return reply;
}

}  // namespace slurp::node
