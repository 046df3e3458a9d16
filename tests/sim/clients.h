// Simulated clients: each keeps at most one proposal outstanding, sends it
// to the node it believes leads (retrying elsewhere on not_leader, errors
// and timeouts), and counts it acknowledged when the node that accepted it
// applies it at the index it was given, in the term it was accepted in:
// that is a commit, and the checker then holds every later leader to it.
//
// Every attempt carries a fresh payload ("c<client>-<attempt>"), so a
// retry never makes two log entries look alike.
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "tests/sim/checker.h"
#include "tests/sim/prng.h"
#include "tests/sim/sim_node.h"
#include "tests/sim/trace.h"

namespace slurp::sim {

// What the clients need from the cluster that runs them.
class ClientHost {
 public:
  virtual ~ClientHost() = default;
  // A proposal or a read reaches `node` at `at` (dropped there if the node
  // is down).
  virtual void send_input(NodeIndex node, NodeInput input, Micros at) = 0;
  // Call Clients::wake(client, generation) at `at`.
  virtual void wake_client(std::size_t client, std::uint64_t generation,
                           Micros at) = 0;
};

struct ClientSettings {
  std::size_t count = 3;
  Micros think_us_min = 5 * kMicrosPerMs;  // between an ack and the next
  Micros think_us_max = 40 * kMicrosPerMs;
  Micros timeout_us = 500 * kMicrosPerMs;  // then retry elsewhere
  Micros link_us_min = 500;                // client <-> node, one way
  Micros link_us_max = 1500;
  double read_fraction = 0.2;  // of attempts that are linearizable reads
};

struct Acknowledgement {
  std::uint64_t index = 0;
  std::uint64_t term = 0;
  Micros created_us = 0;  // when the client made this attempt
  Micros acked_us = 0;
};

struct ClientCounters {
  std::uint64_t attempts = 0;
  std::uint64_t accepted = 0;
  std::uint64_t not_leader = 0;
  std::uint64_t other_errors = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t lost = 0;  // accepted, then overwritten by another leader
  std::uint64_t reads_served = 0;
};

class Clients {
 public:
  Clients(ClientSettings settings, std::size_t node_count, Prng& prng,
          ClientHost& host, Checker& checker, Trace& trace);

  void start(Micros now);
  void wake(std::size_t client, std::uint64_t generation, Micros now);

  void on_proposal(const SimNode& node, const ProposalInput& proposal,
                   const Result<std::uint64_t>& outcome, Micros now);
  void on_apply(const SimNode& node, const LogEntry& entry, Micros now);
  void on_restore(const SimNode& node, Micros now);
  void on_read_index(const SimNode& node, const ReadInput& read,
                     const Status& outcome, Micros now);
  void on_read_served(const SimNode& node, const consensus::ReadState& read,
                      Micros now);
  void on_crash(NodeIndex node);

  // The first acknowledgement of an attempt made at or after `since`.
  std::optional<Acknowledgement> first_ack_since(Micros since) const;
  const std::vector<Acknowledgement>& acks() const { return acks_; }
  const ClientCounters& counters() const { return counters_; }

 private:
  enum class Phase { idle, sent, accepted };
  struct Client {
    Phase phase = Phase::idle;
    std::uint64_t generation = 0;  // a wake from another generation is stale
    std::uint64_t attempt = 0;
    std::optional<NodeIndex> leader_guess;
    Bytes payload;
    Micros created_us = 0;
    NodeIndex node = 0;       // where the attempt went
    std::uint64_t index = 0;  // what the node answered, once accepted
    std::uint64_t term = 0;
    bool reading = false;       // this attempt is a read
    std::uint64_t read_id = 0;  // its ReadState id
    // The highest index acknowledged to any client before the read began:
    // a linearizable read must see at least that.
    std::uint64_t read_floor = 0;
  };

  void send_attempt(std::size_t id, Micros now);
  void send_read(std::size_t id, Micros now);
  // After a refusal: follow a not_leader hint at once, else back off.
  void retry_refused(std::size_t id, const SimNode& node, const Error& error,
                     Micros now);
  void retry_after(std::size_t id, Micros delay_us, Micros now);
  void settle(std::size_t id, const LogEntry& applied, Micros now);

  ClientSettings settings_;
  std::size_t node_count_;
  Prng& prng_;
  ClientHost& host_;
  Checker& checker_;
  Trace& trace_;
  std::vector<Client> clients_;
  // (node, index) -> client waiting for that node to apply that index.
  std::map<std::pair<NodeIndex, std::uint64_t>, std::size_t> waiting_;
  // (node, read id) -> client waiting for that read to be served.
  std::map<std::pair<NodeIndex, std::uint64_t>, std::size_t> reading_;
  std::uint64_t next_read_id_ = 0;
  std::uint64_t acked_index_max_ = 0;
  std::vector<Acknowledgement> acks_;
  ClientCounters counters_;
};

}  // namespace slurp::sim
