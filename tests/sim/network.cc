#include "tests/sim/network.h"

#include <algorithm>
#include <cassert>

namespace slurp::sim {

Network::Network(std::size_t node_count)
    : node_count_(node_count), links_(node_count * node_count) {}

Network::Link& Network::link(NodeIndex from, NodeIndex to) {
  assert(from < node_count_ && to < node_count_ && from != to);
  return links_[from * node_count_ + to];
}

const Network::Link& Network::link(NodeIndex from, NodeIndex to) const {
  assert(from < node_count_ && to < node_count_ && from != to);
  return links_[from * node_count_ + to];
}

std::vector<Micros> Network::send(NodeIndex from, NodeIndex to, Micros now,
                                  Prng& prng) {
  Link& l = link(from, to);
  ++counters_.sent;
  std::vector<Micros> deliveries;
  if (prng.chance(l.profile.drop_probability)) {
    ++counters_.dropped_random;
    return deliveries;
  }
  std::size_t copies = prng.chance(l.profile.duplicate_probability) ? 2 : 1;
  if (copies == 2) ++counters_.duplicated;
  for (std::size_t i = 0; i < copies; ++i) {
    if (l.in_flight >= l.profile.capacity_packets) {
      ++counters_.dropped_overflow;
      continue;
    }
    // A clog holds the packet in the sender's queue until it clears; the
    // wire delay still follows.
    Micros start = std::max(now, l.clogged_until_us);
    deliveries.push_back(
        start + prng.between(l.profile.delay_us_min, l.profile.delay_us_max));
    ++l.in_flight;
  }
  return deliveries;
}

bool Network::arrive(NodeIndex from, NodeIndex to) {
  Link& l = link(from, to);
  assert(l.in_flight > 0);
  --l.in_flight;
  if (l.cut) {
    ++counters_.dropped_cut;
    return false;
  }
  ++counters_.delivered;
  return true;
}

void Network::set_profile(NodeIndex from, NodeIndex to,
                          const LinkProfile& profile) {
  assert(profile.delay_us_min <= profile.delay_us_max);
  link(from, to).profile = profile;
}

void Network::set_all_profiles(const LinkProfile& profile) {
  for (NodeIndex from = 0; from < node_count_; ++from) {
    for (NodeIndex to = 0; to < node_count_; ++to) {
      if (from != to) set_profile(from, to, profile);
    }
  }
}

const LinkProfile& Network::profile(NodeIndex from, NodeIndex to) const {
  return link(from, to).profile;
}

void Network::cut(NodeIndex from, NodeIndex to) {
  link(from, to).cut = true;
}

void Network::partition(const std::set<NodeIndex>& side) {
  for (NodeIndex a : side) {
    for (NodeIndex b = 0; b < node_count_; ++b) {
      if (side.contains(b)) continue;
      cut(a, b);
      cut(b, a);
    }
  }
}

void Network::uncut_all() {
  for (Link& l : links_) l.cut = false;
}

void Network::clog(NodeIndex from, NodeIndex to, Micros until) {
  Link& l = link(from, to);
  l.clogged_until_us = std::max(l.clogged_until_us, until);
}

void Network::heal(const LinkProfile& profile) {
  for (NodeIndex from = 0; from < node_count_; ++from) {
    for (NodeIndex to = 0; to < node_count_; ++to) {
      if (from == to) continue;
      Link& l = link(from, to);
      l.profile = profile;
      l.cut = false;
      l.clogged_until_us = 0;
    }
  }
}

bool Network::is_cut(NodeIndex from, NodeIndex to) const {
  return link(from, to).cut;
}

std::size_t Network::cut_links() const {
  return static_cast<std::size_t>(std::count_if(
      links_.begin(), links_.end(), [](const Link& l) { return l.cut; }));
}

}  // namespace slurp::sim
