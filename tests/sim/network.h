// The simulated network between N nodes: one directed link per ordered
// pair, each with its own loss, duplication, delay (so reordering) and
// capacity, plus the faults the nemesis injects: clogs (packets held until
// the clog clears), cut links (asymmetric partitions), symmetric
// partitions and isolation of one node.
//
// The Network only decides fates and keeps link state; the cluster carries
// the packets in its event queue. A packet's delivery time is fixed when it
// is sent; whether the link is cut is judged again when it arrives, as a
// pulled cable also loses what is on the wire.
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "tests/sim/prng.h"
#include "tests/sim/sim_types.h"

namespace slurp::sim {

struct LinkProfile {
  double drop_probability = 0.0;
  double duplicate_probability = 0.0;
  // One-way delay drawn uniformly per packet: the spread reorders packets.
  Micros delay_us_min = 500;
  Micros delay_us_max = 1500;
  // Packets in flight on the link at once; more are dropped (a full
  // socket buffer or ZeroMQ high-water mark).
  std::size_t capacity_packets = 256;
};

struct NetworkCounters {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t dropped_random = 0;
  std::uint64_t dropped_overflow = 0;
  std::uint64_t dropped_cut = 0;
  std::uint64_t duplicated = 0;
};

class Network {
 public:
  explicit Network(std::size_t node_count);

  // Puts one message on the link from -> to at `now`: returns the delivery
  // time of each copy (none: dropped; two: duplicated). Every returned
  // copy must later be reported to arrive().
  std::vector<Micros> send(NodeIndex from, NodeIndex to, Micros now,
                           Prng& prng);
  // A copy reaches `to`: true when it is delivered, false when the link is
  // cut at this moment (the copy is lost).
  bool arrive(NodeIndex from, NodeIndex to);

  void set_profile(NodeIndex from, NodeIndex to, const LinkProfile& profile);
  void set_all_profiles(const LinkProfile& profile);
  const LinkProfile& profile(NodeIndex from, NodeIndex to) const;

  // Asymmetric: only from -> to stops carrying packets.
  void cut(NodeIndex from, NodeIndex to);
  // Symmetric partition: every link between `side` and the rest is cut.
  void partition(const std::set<NodeIndex>& side);
  // Every cut link carries again (profiles and clogs stay).
  void uncut_all();
  // Packets sent on from -> to before `until` wait until then.
  void clog(NodeIndex from, NodeIndex to, Micros until);
  // Every link carries again, unclogged, with `profile`.
  void heal(const LinkProfile& profile);

  bool is_cut(NodeIndex from, NodeIndex to) const;
  std::size_t node_count() const { return node_count_; }
  std::size_t cut_links() const;
  const NetworkCounters& counters() const { return counters_; }

 private:
  struct Link {
    LinkProfile profile;
    bool cut = false;
    Micros clogged_until_us = 0;
    std::size_t in_flight = 0;
  };
  Link& link(NodeIndex from, NodeIndex to);
  const Link& link(NodeIndex from, NodeIndex to) const;

  std::size_t node_count_;
  std::vector<Link> links_;  // row-major: links_[from * node_count_ + to]
  NetworkCounters counters_;
};

}  // namespace slurp::sim
