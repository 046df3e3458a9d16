// The node's event sequence: every state change it publishes gets the next
// sequence number (from 1, no gaps) and is kept in a bounded history so a
// subscriber that saw a gap on PUB can fetch what it missed (fetch_events).
//
// Sans-IO: the caller publishes the returned Event on the events socket.
// The history is per process: a restarted node starts again from seq 1, and
// subscribers see the seq go back to 1 with a new start time (documented in
// PROTOCOL.md under `event`).
//
// Threads: the node thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "protocol/messages.h"

namespace slurp::node {

class EventJournal {
 public:
  // The history keeps at most history_events_max events and, counting each
  // by event_bytes(), history_bytes_max bytes (the oldest go first).
  EventJournal(std::string node_id, std::size_t history_events_max,
               std::size_t history_bytes_max);

  // Records an event and returns it, numbered.
  const Event& record(std::string topic, std::uint64_t term,
                      std::uint64_t time_ms, Attributes attrs);

  // Up to `limit` events with seq >= from_seq, oldest first, stopping
  // before their event_bytes() pass bytes_max (at least one is returned).
  std::vector<Event> since(std::uint64_t from_seq, std::size_t limit,
                           std::size_t bytes_max) const;

  // An event's size as the history counts it: its strings plus a fixed
  // allowance for the numbers and msgpack framing.
  static std::size_t event_bytes(const Event& event);
  std::size_t history_bytes() const { return history_bytes_; }

  // The latest seq handed out (0 before the first event).
  std::uint64_t last_seq() const { return next_seq_ - 1; }
  // The oldest seq still kept (last_seq() + 1 when the history is empty).
  std::uint64_t first_available_seq() const;

 private:
  std::string node_id_;
  std::size_t history_events_max_;
  std::size_t history_bytes_max_;
  std::size_t history_bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  std::deque<Event> history_;
};

}  // namespace slurp::node
