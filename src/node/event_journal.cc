#include "src/node/event_journal.h"

#include <algorithm>
#include <cassert>

namespace slurp::node {

EventJournal::EventJournal(std::string node_id, std::size_t history_events_max)
    : node_id_(std::move(node_id)), history_events_max_(history_events_max) {
  assert(history_events_max_ > 0);
}

const Event& EventJournal::record(std::string topic, std::uint64_t term,
                                  std::uint64_t time_ms, Attributes attrs) {
  Event event;
  event.topic = std::move(topic);
  event.node = node_id_;
  event.term = term;
  event.seq = next_seq_++;
  event.time_ms = time_ms;
  event.attrs = std::move(attrs);
  if (history_.size() == history_events_max_) history_.pop_front();
  history_.push_back(std::move(event));
  return history_.back();
}

std::vector<Event> EventJournal::since(std::uint64_t from_seq,
                                       std::size_t limit) const {
  std::vector<Event> out;
  if (history_.empty() || limit == 0) return out;
  // seq is contiguous in the history, so the start is an offset.
  const std::uint64_t first = history_.front().seq;
  std::size_t start =
      from_seq <= first ? 0 : static_cast<std::size_t>(from_seq - first);
  for (std::size_t i = start; i < history_.size() && out.size() < limit; ++i) {
    out.push_back(history_[i]);
  }
  return out;
}

std::uint64_t EventJournal::first_available_seq() const {
  return history_.empty() ? next_seq_ : history_.front().seq;
}

}  // namespace slurp::node
