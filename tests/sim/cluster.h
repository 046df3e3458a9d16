// The simulated cluster: N SimNodes, the Network, the Clients and the
// Checker, run by one discrete event queue in simulated time. Every event
// (a node's tick, an fsync finishing, a packet arriving, a client waking, a
// fault) sits in an ordered map keyed by (time, sequence number), so ties
// break by scheduling order and a seed replays exactly.
//
// The Cluster is the NodeObserver of its nodes: it routes what they report
// to the checker, the clients, the network and the trace. The scenario
// (scenario.h) and the nemesis (nemesis.h) drive it from outside.
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tests/sim/checker.h"
#include "tests/sim/clients.h"
#include "tests/sim/network.h"
#include "tests/sim/prng.h"
#include "tests/sim/sim_node.h"
#include "tests/sim/sim_pipeline.h"
#include "tests/sim/trace.h"

namespace slurp::sim {

struct ClusterSettings {
  std::size_t node_count = 3;
  consensus::Config raft;  // timings and limits; id, members, seed set here
  consensus::Raft::Fault fault = consensus::Raft::Fault::none;
  Micros tick_us = 10 * kMicrosPerMs;
  // Each node's clock runs at (1 + drift) of true time, drift drawn per
  // node from [-max, +max]: its ticks come that much faster or slower.
  double clock_drift_max = 0.02;
  Micros tick_jitter_us_max = 200;  // timer lateness per tick
  Micros fsync_us_min = 1 * kMicrosPerMs;
  Micros fsync_us_max = 5 * kMicrosPerMs;
  std::uint64_t compact_entries_min = 50;
  std::uint64_t compact_entries_max = 200;
  LinkProfile link;  // every link's profile while healthy
  ClientSettings clients;
  // Pipeline mode: the real state machine, job clients and workers.
  std::optional<PipelineSettings> pipeline;
};

class Cluster final : public NodeObserver, public ClientHost {
 public:
  Cluster(ClusterSettings settings, Prng& prng, Trace& trace);

  // Starts every node (fresh storage), its ticks, and the clients.
  void start();
  // Runs events up to `until` (inclusive) or until a violation.
  void run_until(Micros until);
  // Runs until `done()` holds after an event, a violation, or `deadline`.
  // Returns whether `done()` held.
  bool run_until(const std::function<bool()>& done, Micros deadline);
  void schedule(Micros at, std::function<void()> action);

  // Faults, as the nemesis and the scenario inject them.
  void crash(NodeIndex node, bool tear);
  void restart(NodeIndex node);
  void pause(NodeIndex node);
  void resume(NodeIndex node);
  // Every node up and unpaused, every link healthy.
  void heal();

  Micros now() const { return now_; }
  std::size_t size() const { return nodes_.size(); }
  SimNode& node(NodeIndex index) { return *nodes_[index]; }
  const SimNode& node(NodeIndex index) const { return *nodes_[index]; }
  std::vector<const SimNode*> nodes() const;
  // The up node that leads in the highest term, if any.
  std::optional<NodeIndex> leader() const;
  std::size_t majority() const { return nodes_.size() / 2 + 1; }
  Network& network() { return network_; }
  const Network& network() const { return network_; }
  Checker& checker() { return checker_; }
  const Checker& checker() const { return checker_; }
  Clients& clients() { return clients_; }
  SimPipeline* pipeline() { return pipeline_.get(); }
  const Clients& clients() const { return clients_; }
  Trace& trace() { return trace_; }
  Prng& prng() { return prng_; }
  const ClusterSettings& settings() const { return settings_; }
  std::uint64_t events() const { return events_; }
  Micros tick_period_us(NodeIndex node) const { return tick_period_us_[node]; }

  // NodeObserver
  void on_write(const SimNode& node, const consensus::Ready& ready) override;
  void on_loaded(const SimNode& node,
                 const consensus::InitialState& initial) override;
  void on_fsync_started(const SimNode& node) override;
  void on_synced(const SimNode& node) override;
  void on_send(const SimNode& node,
               const consensus::Envelope& envelope) override;
  void on_apply(const SimNode& node, const LogEntry& entry) override;
  void on_restore(const SimNode& node) override;
  void on_proposal(const SimNode& node, const ProposalInput& proposal,
                   const Result<std::uint64_t>& outcome) override;
  void on_state_applied(const SimNode& node, const LogEntry& entry,
                        const state::ApplyOutcome& outcome) override;
  void on_request_applied(const SimNode& node, std::size_t client,
                          std::uint64_t request, const LogEntry& entry,
                          const state::ApplyOutcome& outcome) override;
  void on_request_again(const SimNode& node, std::size_t client,
                        std::uint64_t request) override;
  void on_jobs_pushed(const SimNode& node,
                      const std::vector<JobBatch>& batches) override;
  void on_results_not_led(const SimNode& node,
                          const ResultInput& results) override;
  void on_settled(const SimNode& node) override;
  void on_anomaly(const SimNode& node, const std::string& what) override;
  // ClientHost
  void send_input(NodeIndex node, NodeInput input, Micros at) override;
  void on_read_index(const SimNode& node, const ReadInput& read,
                     const Status& outcome) override;
  void on_read_served(const SimNode& node,
                      const consensus::ReadState& read) override;
  void wake_client(std::size_t client, std::uint64_t generation,
                   Micros at) override;

 private:
  struct TickEvent {
    NodeIndex node;
    std::uint64_t life;
  };
  struct SyncEvent {
    NodeIndex node;
    std::uint64_t life;
  };
  struct DeliverEvent {
    NodeIndex from;
    NodeIndex to;
    consensus::RaftMessage message;
  };
  struct InputEvent {  // from a client
    NodeIndex node;
    NodeInput input;
  };
  struct ClientEvent {
    std::size_t client;
    std::uint64_t generation;
  };
  struct ActionEvent {
    std::function<void()> action;
  };
  using Event = std::variant<TickEvent, SyncEvent, DeliverEvent, InputEvent,
                             ClientEvent, ActionEvent>;
  // Observed per node, so the trace shows a role, term or commit change
  // once rather than after every input.
  struct Seen {
    consensus::RaftRole role = consensus::RaftRole::follower;
    std::uint64_t term = 0;
    std::uint64_t commit = 0;
  };

  void push(Micros at, Event event);
  void dispatch(Event& event);
  void on_tick(const TickEvent& tick);
  void on_deliver(DeliverEvent& delivery);
  void schedule_first_tick(NodeIndex node);
  void start_node(NodeIndex node);

  ClusterSettings settings_;
  Prng& prng_;
  Trace& trace_;
  Network network_;
  Checker checker_;
  Clients clients_;
  std::unique_ptr<SimPipeline> pipeline_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<Micros> tick_period_us_;
  std::vector<Seen> seen_;
  std::map<std::pair<Micros, std::uint64_t>, Event> queue_;
  std::uint64_t sequence_ = 0;
  std::uint64_t events_ = 0;
  Micros now_ = 0;
};

}  // namespace slurp::sim
