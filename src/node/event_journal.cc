#include "src/node/event_journal.h"

#include <algorithm>
#include <cassert>

namespace slurp::node {

EventJournal::EventJournal(std::string node_id, std::size_t history_events_max,
                           std::size_t history_bytes_max)
    : node_id_(std::move(node_id)),
      history_events_max_(history_events_max),
      history_bytes_max_(history_bytes_max) {
  assert(history_events_max_ > 0);
}

std::size_t EventJournal::event_bytes(const Event& event) {
  std::size_t bytes = 64 + event.topic.size() + event.node.size();
  for (const auto& [key, value] : event.attrs)
    bytes += key.size() + value.size();
  return bytes;
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
  const std::size_t bytes = event_bytes(event);
  while (!history_.empty() && (history_.size() == history_events_max_ ||
                               history_bytes_ + bytes > history_bytes_max_)) {
    history_bytes_ -= event_bytes(history_.front());
    history_.pop_front();
  }
  history_bytes_ += bytes;
  history_.push_back(std::move(event));
  return history_.back();
}

std::vector<Event> EventJournal::since(std::uint64_t from_seq,
                                       std::size_t limit,
                                       std::size_t bytes_max) const {
  std::vector<Event> out;
  if (history_.empty() || limit == 0) return out;
  // seq is contiguous in the history, so the start is an offset.
  const std::uint64_t first = history_.front().seq;
  std::size_t start =
      from_seq <= first ? 0 : static_cast<std::size_t>(from_seq - first);
  std::size_t bytes = 0;
  for (std::size_t i = start; i < history_.size() && out.size() < limit; ++i) {
    bytes += event_bytes(history_[i]);
    if (!out.empty() && bytes > bytes_max) break;
    out.push_back(history_[i]);
  }
  return out;
}

std::uint64_t EventJournal::first_available_seq() const {
  return history_.empty() ? next_seq_ : history_.front().seq;
}

}  // namespace slurp::node
