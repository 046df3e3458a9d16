#include "tests/sim/nemesis.h"

#include <string>
#include <utility>
#include <vector>

namespace slurp::sim {

FaultProfile draw_fault_profile(Prng& prng) {
  FaultProfile p;
  p.gap_us_max = prng.between(100, 1000) * kMicrosPerMs;
  p.down_us_max = prng.between(50, 3000) * kMicrosPerMs;
  p.fault_us_max = prng.between(200, 3000) * kMicrosPerMs;
  p.tear_probability = prng.unit();
  p.crash = prng.between(0, 6);
  p.crash_leader = prng.between(1, 6);  // failover under stress, always
  p.power_loss = prng.between(0, 1);
  p.pause = prng.between(0, 4);
  p.partition = prng.between(0, 5);
  p.one_way = prng.between(0, 4);
  p.isolate_leader = prng.between(0, 5);
  p.clog = prng.between(0, 4);
  p.degrade = prng.between(0, 4);
  p.churn = prng.between(0, 10);
  p.transfer = prng.between(0, 3);
  if (prng.chance(0.6)) {
    // Fast leader turnover with short faults: logs diverge across many
    // terms, the ground on which unsafe commit rules show (figure 8).
    p.gap_us_max = prng.between(50, 300) * kMicrosPerMs;
    p.down_us_max = prng.between(20, 300) * kMicrosPerMs;
    p.fault_us_max = prng.between(50, 400) * kMicrosPerMs;
    p.crash = p.power_loss = p.pause = p.clog = p.degrade = 0;
    p.partition = p.one_way = 0;
    p.churn = prng.between(4, 12);
  }
  p.link.drop_probability = prng.chance(0.5) ? prng.unit() * 0.05 : 0.0;
  p.link.duplicate_probability = prng.chance(0.3) ? prng.unit() * 0.05 : 0.0;
  p.link.delay_us_min = 500;
  p.link.delay_us_max =
      prng.chance(0.2) ? prng.between(2, 10) * kMicrosPerMs : 1500;
  const std::size_t capacities[] = {8, 32, 256};
  p.link.capacity_packets = capacities[prng.below(3)];
  return p;
}

Nemesis::Nemesis(Cluster& cluster, FaultProfile profile)
    : cluster_(cluster), profile_(std::move(profile)) {}

void Nemesis::start() {
  cluster_.network().set_all_profiles(profile_.link);
  later(cluster_.prng().between(profile_.gap_us_min, profile_.gap_us_max),
        [this] { act(); });
}

void Nemesis::later(Micros delay_us, std::function<void()> action) {
  cluster_.schedule(cluster_.now() + delay_us,
                    [this, action = std::move(action)] {
                      if (!stopped_) action();
                    });
}

Micros Nemesis::fault_duration() {
  return cluster_.prng().between(10 * kMicrosPerMs, profile_.fault_us_max);
}

void Nemesis::act() {
  ++actions_;
  const std::vector<std::pair<std::uint64_t, void (Nemesis::*)()>> choices = {
      {profile_.crash, &Nemesis::crash_random},
      {profile_.crash_leader, &Nemesis::crash_leader},
      {profile_.power_loss, &Nemesis::power_loss},
      {profile_.pause, &Nemesis::pause_random},
      {profile_.partition, &Nemesis::partition_random},
      {profile_.one_way, &Nemesis::cut_one_way},
      {profile_.isolate_leader, &Nemesis::isolate_leader},
      {profile_.clog, &Nemesis::clog_random},
      {profile_.degrade, &Nemesis::degrade_random},
      {profile_.churn, &Nemesis::churn_leaders},
      {profile_.transfer, &Nemesis::transfer_leadership},
  };
  std::uint64_t total = 0;
  for (const auto& choice : choices) total += choice.first;
  std::uint64_t pick = cluster_.prng().below(total);
  for (const auto& [weight, action] : choices) {
    if (pick < weight) {
      (this->*action)();
      break;
    }
    pick -= weight;
  }
  later(cluster_.prng().between(profile_.gap_us_min, profile_.gap_us_max),
        [this] { act(); });
}

void Nemesis::crash_random() {
  crash_node(static_cast<NodeIndex>(cluster_.prng().below(cluster_.size())));
}

void Nemesis::crash_leader() {
  if (std::optional<NodeIndex> leader = cluster_.leader()) crash_node(*leader);
}

void Nemesis::crash_node(NodeIndex node) {
  if (!cluster_.node(node).up()) return;
  cluster_.crash(node, cluster_.prng().chance(profile_.tear_probability));
  later(cluster_.prng().between(kMicrosPerMs, profile_.down_us_max),
        [this, node] { cluster_.restart(node); });
}

// Every node loses power at once: only what each had fsynced survives,
// and every acknowledged write must still be there.
void Nemesis::power_loss() {
  cluster_.trace().note(cluster_.now(), "nemesis: power loss");
  for (NodeIndex node = 0; node < cluster_.size(); ++node) {
    if (!cluster_.node(node).up()) continue;
    cluster_.crash(node, cluster_.prng().chance(profile_.tear_probability));
    later(cluster_.prng().between(kMicrosPerMs, 500 * kMicrosPerMs),
          [this, node] { cluster_.restart(node); });
  }
}

// A stop-the-world pause (GC, VM steal, SIGSTOP): the node's clock jumps
// and it wakes with stale beliefs, e.g. a leader that was deposed.
void Nemesis::pause_random() {
  NodeIndex node =
      static_cast<NodeIndex>(cluster_.prng().below(cluster_.size()));
  cluster_.pause(node);
  later(fault_duration(), [this, node] { cluster_.resume(node); });
}

void Nemesis::partition_random() {
  std::set<NodeIndex> side;
  for (NodeIndex node = 0; node < cluster_.size(); ++node) {
    if (cluster_.prng().chance(0.5)) side.insert(node);
  }
  if (side.empty() || side.size() == cluster_.size()) {
    side = {static_cast<NodeIndex>(cluster_.prng().below(cluster_.size()))};
  }
  cut(side, "partition");
}

void Nemesis::isolate_leader() {
  if (std::optional<NodeIndex> leader = cluster_.leader()) {
    cut({*leader}, "isolate leader");
  }
}

void Nemesis::cut(const std::set<NodeIndex>& side, std::string_view what) {
  std::string text = "nemesis: " + std::string(what) + " {";
  for (NodeIndex node : side) text += " " + node_name(node);
  cluster_.trace().note(cluster_.now(), text + " } from the rest");
  cluster_.network().uncut_all();
  cluster_.network().partition(side);
  heal_cuts_later();
}

// Asymmetric: some directed links stop carrying while their reverse still
// does (a node hears its peers but is not heard, or the other way round).
void Nemesis::cut_one_way() {
  Network& network = cluster_.network();
  network.uncut_all();
  const std::size_t n = cluster_.size();
  NodeIndex from = static_cast<NodeIndex>(cluster_.prng().below(n));
  NodeIndex to =
      (from + 1 + static_cast<NodeIndex>(cluster_.prng().below(n - 1))) % n;
  network.cut(from, to);
  for (NodeIndex a = 0; a < n; ++a) {
    for (NodeIndex b = 0; b < n; ++b) {
      if (a != b && cluster_.prng().chance(0.2)) network.cut(a, b);
    }
  }
  cluster_.trace().event(cluster_.now(), "one-way-cuts", "net",
                         {{"links", network.cut_links()}});
  heal_cuts_later();
}

void Nemesis::heal_cuts_later() {
  const std::uint64_t generation = ++cut_generation_;
  later(fault_duration(), [this, generation] {
    if (generation != cut_generation_) return;  // a newer cut replaced it
    cluster_.trace().note(cluster_.now(), "nemesis: links restored");
    cluster_.network().uncut_all();
  });
}

void Nemesis::clog_random() {
  const std::size_t n = cluster_.size();
  NodeIndex from = static_cast<NodeIndex>(cluster_.prng().below(n));
  NodeIndex to =
      (from + 1 + static_cast<NodeIndex>(cluster_.prng().below(n - 1))) % n;
  Micros until = cluster_.now() + fault_duration();
  cluster_.network().clog(from, to, until);
  if (cluster_.prng().chance(0.5)) cluster_.network().clog(to, from, until);
  cluster_.trace().event(
      cluster_.now(), "clog", "net",
      {{"from", from + 1}, {"to", to + 1}, {"until", until}});
}

// One link turns bad for a while: heavy loss, long and spread delays
// (heavy reordering), or heavy duplication.
void Nemesis::degrade_random() {
  Prng& prng = cluster_.prng();
  const std::size_t n = cluster_.size();
  NodeIndex from = static_cast<NodeIndex>(prng.below(n));
  NodeIndex to = (from + 1 + static_cast<NodeIndex>(prng.below(n - 1))) % n;
  LinkProfile bad = profile_.link;
  switch (prng.below(3)) {
    case 0: bad.drop_probability = 0.2 + prng.unit() * 0.7; break;
    case 1: bad.delay_us_max = prng.between(20, 300) * kMicrosPerMs; break;
    default: bad.duplicate_probability = 0.3 + prng.unit() * 0.5; break;
  }
  cluster_.network().set_profile(from, to, bad);
  cluster_.trace().event(cluster_.now(), "degrade", "net",
                         {{"from", from + 1}, {"to", to + 1}});
  later(fault_duration(), [this, from, to] {
    cluster_.network().set_profile(from, to, profile_.link);
  });
}

void Nemesis::transfer_leadership() {
  std::optional<NodeIndex> leader = cluster_.leader();
  if (!leader) return;
  const std::size_t n = cluster_.size();
  NodeIndex to = (*leader + 1 + cluster_.prng().below(n - 1)) % n;
  cluster_.trace().event(cluster_.now(), "transfer", node_name(*leader),
                         {{"to", to + 1}});
  cluster_.node(*leader).input(TransferInput{node_name(to)});
}

// Crashes (within 30 ms) or isolates (at once) each leader elected in the
// next while.
void Nemesis::churn_leaders() {
  std::optional<NodeIndex> leader = cluster_.leader();
  std::uint64_t term = leader ? cluster_.node(*leader).raft().term() : 0;
  cluster_.trace().note(cluster_.now(), "nemesis: leader churn");
  watch_for_leader(term, cluster_.now() + fault_duration());
}

void Nemesis::watch_for_leader(std::uint64_t above_term, Micros until) {
  if (cluster_.now() >= until) return;
  std::optional<NodeIndex> leader = cluster_.leader();
  if (leader && cluster_.node(*leader).raft().term() > above_term) {
    const NodeIndex node = *leader;
    above_term = cluster_.node(node).raft().term();
    // Crashed, it leaves its first entries half replicated; cut off, it
    // keeps taking proposals no one else sees: diverging logs, the raw
    // material of figure 8.
    if (cluster_.prng().chance(0.5)) {
      later(cluster_.prng().between(0, 30 * kMicrosPerMs),
            [this, node] { crash_node(node); });
    } else {
      cut({node}, "isolate new leader");
    }
  }
  // Polling every millisecond is cheap next to the events it watches.
  later(kMicrosPerMs,
        [this, above_term, until] { watch_for_leader(above_term, until); });
}

}  // namespace slurp::sim
