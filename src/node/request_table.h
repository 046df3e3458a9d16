// Where every client request in flight waits, and for what: held until a
// leader is known, forwarded to the leader, proposed at a log index, a
// read waiting for its read-index, or a generate waiting for its job to
// end. The node decides where a request goes (routing needs sockets and
// the Raft core); this table keeps it there, bounds each place, and hands
// it back when something happens: an entry applied, a leader changed or
// stepped down, a deadline passed.
//
// Sans-IO: no sockets and no clock; time comes in as steady ms
// (clock.h). Both slurpd's node and the simulator's nodes run it, and
// tests/node/request_table_test.cc drives it through elections.
//
// Threads: one owner thread (the node's loop).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/limits.h"
#include "protocol/result.h"
#include "protocol/role.h"
#include "protocol/socket_messages.h"
#include "src/consensus/raft.h"

namespace slurp::node {

// Where the answer to one client request goes.
struct ReplyRoute {
  Bytes routing_id;        // on the api ROUTER: the client, or the peer
  bool delimiter = false;  // the client used REQ framing ['', payload]
  // Set when a follower forwarded the request: the answer goes back to it
  // as forward_reply with this id, and it relays it to its client.
  std::optional<std::uint64_t> forward_id;
  // The connection authenticated as a node (a follower's DEALER): its
  // replies get the larger backlog budget (reply_outbox.h).
  bool node_peer = false;
};

// A client request this node must see answered.
struct ClientRequest {
  ReplyRoute route;
  std::string requester;  // the authenticated key name
  Role role = Role::observer;
  ClientRequestMessage request;
  std::string payload;  // as received, for forwarding unchanged
  // `request` holds what `payload` decoded to (metrics label refusals).
  bool decoded = false;
  std::uint64_t id = 0;
  std::uint64_t received_ms = 0;  // steady clock
  // The first reply went out; only job_done (wait) remains.
  bool replied = false;
  std::uint64_t not_before_ms = 0;  // held: do not retry before this
  // Proposed or forwarded at least once. Resending is safe for everything
  // but update_context (it would store a second version), which is
  // answered `unavailable` instead when its first attempt is in doubt.
  bool sent = false;
};

class RequestTable {
 public:
  struct Limits {
    std::size_t held_max = limits::held_requests_max;
    std::size_t forwarded_max = limits::forwarded_requests_max;
    std::size_t forwarded_per_connection_max =
        limits::forwarded_per_connection_max;
    std::size_t list_forward_weight = limits::list_forward_weight;
    std::size_t reads_max = limits::reads_in_flight_max;
    std::size_t waiters_max = limits::job_waiters_max;
    std::uint64_t hold_ms = limits::request_hold_ms;
    std::uint64_t timeout_ms = limits::request_timeout_ms;
    std::uint64_t forward_retry_ms = limits::forward_retry_ms;
  };
  // A request the table would not keep, with the reason to answer.
  struct Refused {
    ClientRequest request;
    Error error;
  };

  RequestTable() = default;
  explicit RequestTable(Limits limits) : limits_(limits) {}

  // -- Held: no leader known (or not yet reachable). no_quorum when full.
  std::optional<Refused> hold(ClientRequest request);
  // Held requests whose not_before_ms has passed, in arrival order; the
  // others stay.
  std::vector<ClientRequest> take_held_due(std::uint64_t steady_now_ms);

  // -- Forwarded to the leader, answered on the peer DEALER.
  // unavailable when too many are forwarded, in all or for the request's
  // connection (a `list` counts list_forward_weight: its page may be 1 MiB).
  std::optional<Error> forward_refusal(const ClientRequest& request) const;
  // Keeps a request just forwarded to `leader`; returns its forward id.
  std::uint64_t add_forwarded(ClientRequest request, std::string leader,
                              std::uint64_t steady_now_ms);
  // The id add_forwarded will give next (to encode the Forward first).
  std::uint64_t next_forward_id() const { return next_forward_id_; }
  ClientRequest* forwarded(std::uint64_t forward_id);
  std::optional<ClientRequest> take_forwarded(std::uint64_t forward_id);
  // Requests forwarded to any node but `leader` (all when none is known):
  // the old leader may never answer them.
  std::vector<ClientRequest> take_forwarded_elsewhere(
      const std::optional<std::string>& leader);

  // -- Proposed at a log index (leader).
  void proposed(std::uint64_t index, std::uint64_t term, ClientRequest request);
  struct Applied {
    ClientRequest request;
    // The applied entry is the one proposed; false: another leader's
    // entry took the index, and the request must be routed again.
    bool ours = false;
  };
  std::optional<Applied> take_proposal(const LogEntry& entry);

  // -- Linearizable reads waiting for their read-index (leader).
  // unavailable when reads_max are waiting.
  std::optional<Error> read_refusal() const;
  // The id to pass to Raft::read_index, then to add_read.
  std::uint64_t next_read_id() { return next_read_id_++; }
  void add_read(std::uint64_t read_id, ClientRequest request);
  void read_confirmed(const consensus::ReadState& read);
  // Up to `count_max` confirmed reads the state machine has caught up
  // with, in confirmation order; the rest wait.
  std::vector<ClientRequest> take_reads_due(std::uint64_t applied_index,
                                            std::size_t count_max);

  // -- Generates with wait=true, until their job ends (leader). False when
  // waiters_max already wait.
  bool add_waiter(std::uint64_t job_id, ClientRequest request);
  std::vector<ClientRequest> take_waiters(std::uint64_t job_id);

  // Leadership lost: every proposal, read and waiter goes back to the
  // caller to be routed again (or bounced to the follower that forwarded
  // it); confirmed reads are forgotten.
  std::vector<ClientRequest> take_leader_requests();

  // Deadlines (scan every few tens of ms, not every turn: it walks every
  // request in flight).
  struct Expired {
    std::vector<Refused> refused;       // no_quorum or timeout, to answer
    std::vector<ClientRequest> resend;  // forwarded, unanswered too long
  };
  // `connection_dropped`: the reply outbox gave up on this connection, so
  // its forwards are forgotten, neither answered nor sent again.
  Expired expire(std::uint64_t steady_now_ms,
                 const std::function<bool(const Bytes&)>& connection_dropped);

  // Shutdown: nothing proposed, read, held, or forwarded and unanswered.
  bool drained() const;
  // Shutdown out of time: every request still owed a first answer (not
  // the waiters, which already had theirs); the table is left empty.
  std::vector<ClientRequest> take_unanswered();

  std::size_t held_count() const { return held_.size(); }
  std::size_t forwarded_count() const { return forwarded_.size(); }
  std::size_t proposed_count() const { return proposals_.size(); }
  std::size_t read_count() const { return reads_.size(); }
  std::size_t waiter_count() const { return waiters_.size(); }

 private:
  struct Forwarded {
    ClientRequest request;
    std::string to;  // the leader it went to
    std::uint64_t sent_ms = 0;
  };
  struct Proposal {
    std::uint64_t term = 0;
    ClientRequest request;
  };
  std::size_t forward_weight(const ClientRequest& request) const;
  ClientRequest extract_forward(
      std::map<std::uint64_t, Forwarded>::iterator it);

  Limits limits_;
  std::deque<ClientRequest> held_;
  std::map<std::uint64_t, Forwarded> forwarded_;  // by forward id
  // How much of forwarded_ each client connection (routing id) has.
  std::map<Bytes, std::size_t> forwards_by_connection_;
  std::uint64_t next_forward_id_ = 1;
  std::map<std::uint64_t, Proposal> proposals_;    // by log index
  std::map<std::uint64_t, ClientRequest> reads_;   // by read id
  std::vector<consensus::ReadState> read_states_;  // confirmed, not served
  std::uint64_t next_read_id_ = 1;
  std::multimap<std::uint64_t, ClientRequest> waiters_;  // by job id
};

}  // namespace slurp::node
