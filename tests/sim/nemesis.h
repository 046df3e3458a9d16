// The nemesis: injects faults into a Cluster during the safety phase, at
// random times and in a random mix drawn from the seed (swarm testing:
// each seed leans on different faults, so rare combinations get their
// turn). Faults: crash of any node or of the leader (with or without a
// torn write), loss of power on every node at once, GC-like pauses,
// symmetric partitions, one-way link cuts, isolation of the leader, clogs,
// degraded links (heavy loss, long delays so heavy reordering,
// duplication), leadership transfers (§3.10, as on graceful shutdown),
// and leader churn (the next leaders are crashed within 30 ms of their
// election, while their first entries are half replicated, or cut off at
// once: the figure 8 situation of §3.6.2). Every fault is repaired after
// a while, and Cluster::heal() repairs whatever is left when the safety
// phase ends.
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <set>
#include <string_view>

#include "tests/sim/cluster.h"

namespace slurp::sim {

struct FaultProfile {
  Micros gap_us_min = 20 * kMicrosPerMs;  // between two nemesis actions
  Micros gap_us_max = 500 * kMicrosPerMs;
  Micros down_us_max = 2000 * kMicrosPerMs;   // a crashed node's downtime
  Micros fault_us_max = 3000 * kMicrosPerMs;  // partitions, pauses, clogs
  double tear_probability = 0.5;  // a crash tears the unsynced write
  // Relative weights of the actions (0 disables one).
  std::uint64_t crash = 4, crash_leader = 3, power_loss = 1, pause = 2;
  std::uint64_t partition = 3, one_way = 2, isolate_leader = 3;
  std::uint64_t clog = 2, degrade = 2, churn = 2, transfer = 1;
  LinkProfile link;  // every link's profile during the safety phase
};

// Draws a profile from the seed's Prng.
FaultProfile draw_fault_profile(Prng& prng);

class Nemesis {
 public:
  Nemesis(Cluster& cluster, FaultProfile profile);

  void start();
  // No new faults and no more scheduled repairs (heal() takes over).
  void stop() { stopped_ = true; }

  std::uint64_t actions() const { return actions_; }

 private:
  void act();
  void crash_random();
  void crash_leader();
  void crash_node(NodeIndex node);
  void power_loss();
  void pause_random();
  void partition_random();
  void cut_one_way();
  void isolate_leader();
  void clog_random();
  void degrade_random();
  void churn_leaders();
  void transfer_leadership();
  void watch_for_leader(std::uint64_t above_term, Micros until);
  void cut(const std::set<NodeIndex>& side, std::string_view what);
  void heal_cuts_later();
  Micros fault_duration();
  // Runs `action` after `delay_us` unless the nemesis was stopped.
  void later(Micros delay_us, std::function<void()> action);

  Cluster& cluster_;
  FaultProfile profile_;
  bool stopped_ = false;
  std::uint64_t cut_generation_ = 0;  // only the newest cut gets healed
  std::uint64_t actions_ = 0;
};

}  // namespace slurp::sim
