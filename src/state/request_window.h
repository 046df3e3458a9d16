// The deduplication window: the last N (requester, request_id) pairs the
// state machine answered, each with the job id it answered with. A retry
// within the window gets the same job; the oldest pair is forgotten first.
//
// Each key is stored once: the FIFO holds iterators into the map, not
// copies of the strings (a remembered request is ~150 bytes, not ~250).
// Copies rebuild the FIFO against their own map. Part of the replicated
// state: equality compares keys, ids and order. One owner thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace slurp::state {

class RequestWindow {
 public:
  // Who asked (the authenticated key's name) and their idempotency key.
  using Key = std::pair<std::string, std::string>;

  RequestWindow() = default;
  RequestWindow(const RequestWindow& other);
  RequestWindow& operator=(const RequestWindow& other);
  // A moved map keeps its nodes, so the FIFO's iterators stay valid.
  RequestWindow(RequestWindow&& other) noexcept = default;
  RequestWindow& operator=(RequestWindow&& other) noexcept;

  std::optional<std::uint64_t> find(const Key& key) const;
  // Remembers a key not yet remembered (asserted), then forgets the oldest
  // keys beyond `keys_max`. FIFO by first acceptance: a duplicate does not
  // move its key to the back.
  void remember(Key key, std::uint64_t job_id, std::uint64_t keys_max);
  std::size_t size() const { return order_.size(); }

  // Visits (key, job id) oldest first.
  template <class F>
  void for_each(F&& visit) const {
    for (const auto& it : order_) visit(it->first, it->second);
  }

  bool operator==(const RequestWindow& other) const;

 private:
  using Map = std::map<Key, std::uint64_t>;
  Map jobs_;
  std::deque<Map::const_iterator> order_;  // into jobs_, oldest first
};

}  // namespace slurp::state
