// A tiny deterministic network for Raft unit tests: N Raft instances in one
// thread, a FIFO message queue between them, and an in-memory "disk" per
// node that each Ready is persisted into before its messages are queued
// (the order raft.h demands). Tests cut links, hold or rewrite messages,
// tick chosen nodes and restart nodes from their disk.
// Test-only; one thread.
#pragma once

#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "src/consensus/raft.h"
#include "src/consensus/ready_loop.h"

namespace slurp::consensus::test {

struct Disk {
  HardState hard_state;
  std::optional<Snapshot> snapshot;
  std::vector<LogEntry> entries;

  InitialState initial() const { return {hard_state, snapshot, entries}; }
  std::uint64_t last_index() const {
    if (!entries.empty()) return entries.back().index;
    return snapshot ? snapshot->meta.last_index : 0;
  }
};

struct Node {
  Config config;
  std::unique_ptr<Raft> raft;
  Disk disk;
  std::optional<Snapshot> restored;  // last snapshot applied
  std::vector<LogEntry> applied;     // applied after `restored`
  std::vector<ReadState> reads;
  std::vector<Ready> readies;  // every Ready seen, for contract checks
  bool down = false;
};

struct Sent {
  NodeId from;
  Envelope envelope;
};

inline std::string node_name(std::size_t i) {
  return "n" + std::to_string(i + 1);
}

class TestCluster {
 public:
  explicit TestCluster(std::size_t n,
                       const std::function<void(Config&)>& tweak = {}) {
    std::vector<NodeId> members;
    for (std::size_t i = 0; i < n; ++i) members.push_back(node_name(i));
    for (std::size_t i = 0; i < n; ++i) {
      Node& node = nodes[members[i]];
      node.config.id = members[i];
      node.config.members = members;
      node.config.seed = 42;
      if (tweak) tweak(node.config);
      start(node);
    }
    ids = members;
  }

  Raft& raft(const NodeId& id) { return *nodes.at(id).raft; }
  Node& node(const NodeId& id) { return nodes.at(id); }

  void start(Node& node) {
    auto r = Raft::create(node.config, node.disk.initial());
    REQUIRE(r.ok());
    node.raft = std::move(r.value());
    node.restored = node.disk.snapshot;
    node.applied.clear();
    node.down = false;
  }

  // Crash and restart: memory state is lost, the disk survives.
  void restart(const NodeId& id) { start(nodes.at(id)); }

  static void persist(Disk& disk, const Ready& r) {
    if (r.hard_state) disk.hard_state = *r.hard_state;
    if (r.snapshot) {
      disk.snapshot = *r.snapshot;
      disk.entries.clear();
    }
    if (!r.entries.empty()) {
      const std::uint64_t first = r.entries.front().index;
      while (!disk.entries.empty() && disk.entries.back().index >= first) {
        disk.entries.pop_back();
      }
      REQUIRE(disk.last_index() + 1 == first);
      disk.entries.insert(disk.entries.end(), r.entries.begin(),
                          r.entries.end());
    }
  }

  // Handles every Ready of one node through the shared ReadyLoop: persist
  // to the node's Disk, check the contract, queue the messages, apply.
  void process(const NodeId& id) {
    Node& node = nodes.at(id);
    if (node.down) return;
    Ports ports{*this, id, node};
    ReadyLoop::drain(*node.raft, ports);
  }

  // Every promise a message makes must already be on the sender's disk.
  static void check_durable_before_send(const Node& node, const Envelope& e) {
    if (const auto* v = std::get_if<VoteReply>(&e.message)) {
      if (v->granted && !v->pre_vote) {
        CHECK(node.disk.hard_state.term == v->term);
        CHECK(node.disk.hard_state.voted_for == e.to);
      }
    }
    if (const auto* a = std::get_if<AppendReply>(&e.message)) {
      if (a->success) CHECK(node.disk.last_index() >= a->match_index);
    }
  }

  void process_all() {
    for (const NodeId& id : ids) process(id);
  }

  bool link_up(const NodeId& from, const NodeId& to) const {
    return !cut.count({from, to}) && !nodes.at(to).down && !nodes.at(from).down;
  }

  // Delivers the oldest message; false when the network is empty.
  void compact(const NodeId& id, std::uint64_t index, Bytes data) {
    Node& n = nodes.at(id);
    std::uint64_t term = 0;
    for (const LogEntry& e : n.disk.entries) {
      if (e.index == index) term = e.term;
    }
    REQUIRE(n.raft->compact(index, data).ok());
    n.disk.snapshot = Snapshot{SnapshotMeta{index, term}, std::move(data)};
    std::erase_if(n.disk.entries,
                  [&](const LogEntry& e) { return e.index <= index; });
  }

  bool deliver_one() {
    if (network.empty()) return false;
    Sent s = std::move(network.front());
    network.pop_front();
    if (!link_up(s.from, s.envelope.to)) return true;
    if (filter && !filter(s)) return true;
    raft(s.envelope.to).step(s.envelope.message);
    process(s.envelope.to);
    return true;
  }

  // Runs until no message is left (bounded: a livelock fails the test).
  void deliver_all(std::size_t steps_max = 100000) {
    process_all();
    std::size_t steps = 0;
    while (deliver_one()) REQUIRE(++steps < steps_max);
  }

  void tick(const NodeId& id, std::size_t times = 1) {
    for (std::size_t i = 0; i < times; ++i) {
      if (!nodes.at(id).down) raft(id).tick();
      process(id);
    }
  }

  // Ticks every node once and delivers everything, `rounds` times.
  void tick_all(std::size_t rounds = 1) {
    for (std::size_t i = 0; i < rounds; ++i) {
      for (const NodeId& id : ids) tick(id);
      deliver_all();
    }
  }

  // Makes `id` time out (others do not tick) and runs the election.
  void elect(const NodeId& id) {
    for (std::size_t i = 0; i < 1000 && raft(id).role() == RaftRole::follower;
         ++i) {
      tick(id);
    }
    deliver_all();
    REQUIRE(raft(id).role() == RaftRole::leader);
  }

  void isolate(const NodeId& id) {
    for (const NodeId& other : ids) {
      cut.insert({id, other});
      cut.insert({other, id});
    }
  }
  void heal() { cut.clear(); }

  std::optional<NodeId> leader_of_term(std::uint64_t term) {
    for (const NodeId& id : ids) {
      if (raft(id).role() == RaftRole::leader && raft(id).term() == term) {
        return id;
      }
    }
    return std::nullopt;
  }

  std::size_t leaders() {
    std::size_t n = 0;
    for (const NodeId& id : ids) {
      if (!nodes.at(id).down && raft(id).role() == RaftRole::leader) ++n;
    }
    return n;
  }

  // Data of applied user entries (the no-ops of new leaders skipped).
  std::vector<Bytes> applied_data(const NodeId& id) {
    std::vector<Bytes> out;
    for (const LogEntry& e : nodes.at(id).applied) {
      if (e.kind != Raft::kNoOpKind) out.push_back(e.data);
    }
    return out;
  }

  std::vector<NodeId> ids;
  std::map<NodeId, Node> nodes;
  std::deque<Sent> network;
  std::set<std::pair<NodeId, NodeId>> cut;  // directed links that drop
  std::function<bool(Sent&)> filter;        // false: drop; may rewrite

 private:
  struct Ports : ReadyPorts {
    Ports(TestCluster& c, const NodeId& i, Node& n)
        : cluster(c), id(i), node(n) {}
    void persist(const Ready& r) override {
      TestCluster::persist(node.disk, r);
    }
    void send(const Envelope& e) override {
      check_durable_before_send(node, e);
      cluster.network.push_back(Sent{id, e});
    }
    void restore(const Snapshot& snapshot) override {
      node.restored = snapshot;
      node.applied.clear();
    }
    void apply(const LogEntry& e) override { node.applied.push_back(e); }
    void read_confirmed(const ReadState& rs) override {
      node.reads.push_back(rs);
    }
    void advanced(const Ready& r) override { node.readies.push_back(r); }
    TestCluster& cluster;
    const NodeId& id;
    Node& node;
  };
};

inline Bytes bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// Counts messages of type M in a list of envelopes.
template <class M>
std::size_t count_of(const std::vector<Envelope>& messages) {
  std::size_t n = 0;
  for (const Envelope& e : messages) n += std::holds_alternative<M>(e.message);
  return n;
}

}  // namespace slurp::consensus::test
