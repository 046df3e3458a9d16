#include "src/client/event_sequence.h"

namespace slurp::client {

SequenceVerdict EventSequence::on_event(const std::string& node,
                                        std::uint64_t seq) {
  return observe(node, seq, false);
}

SequenceVerdict EventSequence::on_beacon(const std::string& node,
                                         std::uint64_t seq) {
  return observe(node, seq, true);
}

std::optional<std::uint64_t> EventSequence::last(
    const std::string& node) const {
  auto it = last_.find(node);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

SequenceVerdict EventSequence::observe(const std::string& node,
                                       std::uint64_t seq, bool beacon) {
  using Kind = SequenceVerdict::Kind;
  auto [it, fresh] = last_.emplace(node, seq);
  if (fresh) return {Kind::first, 0, 0, 0};
  const std::uint64_t last = it->second;
  it->second = seq;
  // A beacon repeats the latest event's seq; an event must be the next.
  const std::uint64_t expected = beacon ? last : last + 1;
  if (seq == expected) return {beacon ? Kind::repeat : Kind::next, 0, 0, 0};
  if (seq < expected) return {Kind::restarted, 0, 0, last};
  // Missed everything after `last` up to the event before this one, or up
  // to the beacon's seq itself (that event was dropped before it).
  return {Kind::gap, last + 1, beacon ? seq : seq - 1, 0};
}

}  // namespace slurp::client
