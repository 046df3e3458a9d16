// Requests read off the api ROUTER and not yet served, queued per
// connection and served in turn, so one connection's flood neither starves
// the others nor grows the node.
//
// Why read everything at once: libzmq 4.3.4 aborts the process
// (stream_engine_base.cpp, `!_io_error`) when a connection whose input was
// stopped by a full receive pipe is closed and then the engine writes to
// it. The api socket's receive pipe is therefore unbounded (rcvhwm 0: input
// never stops) and the node drains it every turn into this queue, which is
// bounded per connection in messages and bytes, and in total. A request
// that does not fit is refused at once with a short error (the caller's
// job); nothing waits in libzmq.
//
// Threads: the node thread only.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <utility>

#include "protocol/field_codec.h"

namespace slurp::node {

template <typename Item>
class FairIntake {
 public:
  struct Budget {
    std::size_t messages_max = 0;
    std::size_t bytes_max = 0;
  };

  FairIntake(std::size_t total_messages_max, std::size_t total_bytes_max)
      : total_messages_max_(total_messages_max),
        total_bytes_max_(total_bytes_max) {}

  // Queues `item` (of `bytes`) behind what `peer` already has waiting;
  // false, and `item` untouched, when a budget would be passed.
  bool admit(const Bytes& peer, Item& item, std::size_t bytes,
             const Budget& budget) {
    auto it = peers_.find(peer);
    const std::size_t messages = it == peers_.end() ? 0 : it->second.size();
    const std::size_t peer_bytes =
        it == peers_.end() ? 0 : bytes_by_peer_[peer];
    if (messages + 1 > budget.messages_max ||
        peer_bytes + bytes > budget.bytes_max ||
        total_messages_ + 1 > total_messages_max_ ||
        total_bytes_ + bytes > total_bytes_max_) {
      return false;
    }
    if (it == peers_.end()) {
      it = peers_.emplace(peer, std::deque<Entry>{}).first;
      turn_.push_back(peer);
    }
    it->second.push_back(Entry{std::move(item), bytes});
    bytes_by_peer_[peer] += bytes;
    ++total_messages_;
    total_bytes_ += bytes;
    return true;
  }

  // The next request, one connection after another.
  std::optional<Item> next() {
    while (!turn_.empty()) {
      Bytes peer = std::move(turn_.front());
      turn_.pop_front();
      auto it = peers_.find(peer);
      if (it == peers_.end() || it->second.empty()) continue;
      Entry entry = std::move(it->second.front());
      it->second.pop_front();
      --total_messages_;
      total_bytes_ -= entry.bytes;
      auto b = bytes_by_peer_.find(peer);
      b->second -= entry.bytes;
      if (it->second.empty()) {
        peers_.erase(it);
        bytes_by_peer_.erase(b);
      } else {
        turn_.push_back(std::move(peer));
      }
      return std::move(entry.item);
    }
    return std::nullopt;
  }

  // Drops whatever `peer` has waiting (its connection was dropped).
  void forget(const Bytes& peer) {
    auto it = peers_.find(peer);
    if (it == peers_.end()) return;
    total_messages_ -= it->second.size();
    total_bytes_ -= bytes_by_peer_[peer];
    bytes_by_peer_.erase(peer);
    peers_.erase(it);  // its stale entry in turn_ is skipped by next()
  }

  std::size_t messages() const { return total_messages_; }
  std::size_t bytes() const { return total_bytes_; }

 private:
  struct Entry {
    Item item;
    std::size_t bytes = 0;
  };
  std::size_t total_messages_max_;
  std::size_t total_bytes_max_;
  std::map<Bytes, std::deque<Entry>> peers_;
  std::map<Bytes, std::size_t> bytes_by_peer_;
  // Connections with something waiting, in serving order (each once).
  std::deque<Bytes> turn_;
  std::size_t total_messages_ = 0;
  std::size_t total_bytes_ = 0;
};

}  // namespace slurp::node
