#include "src/node/reply_outbox.h"

#include <algorithm>
#include <utility>

namespace slurp::node {

ReplyOutbox::ReplyOutbox(SendFn send, std::size_t total_bytes_max,
                         std::uint64_t dropped_ms,
                         std::size_t dropped_peers_max)
    : send_(std::move(send)),
      total_bytes_max_(total_bytes_max),
      dropped_ms_(dropped_ms),
      dropped_peers_max_(dropped_peers_max) {}

ReplyOutbox::Outcome ReplyOutbox::send(const Bytes& routing_id, bool delimiter,
                                       std::string body, const Budget& budget,
                                       std::uint64_t now_ms) {
  if (dropped(routing_id, now_ms)) {
    ++counters_.replies_discarded;
    return Outcome::discarded;
  }
  auto it = backlog_.find(routing_id);
  if (it == backlog_.end()) {
    // Nothing waits for this connection: straight to libzmq, in order.
    switch (send_(routing_id, delimiter, body)) {
      case SendResult::sent: return Outcome::sent;
      case SendResult::unroutable:
        ++counters_.replies_discarded;
        return Outcome::discarded;
      case SendResult::would_block: break;
    }
  }
  Backlog* waiting = it == backlog_.end() ? nullptr : &it->second;
  const std::size_t bytes = body.size();
  const std::size_t queued_bytes = waiting ? waiting->bytes : 0;
  const std::size_t queued_messages = waiting ? waiting->replies.size() : 0;
  if (queued_bytes + bytes > budget.bytes_max ||
      queued_messages + 1 > budget.messages_max ||
      total_bytes_ + bytes > total_bytes_max_) {
    if (!budget.drop_peer) {
      ++counters_.replies_discarded;
      return Outcome::discarded;
    }
    drop(routing_id, now_ms);
    return Outcome::peer_dropped;
  }
  if (!waiting) waiting = &backlog_[routing_id];
  waiting->replies.push_back(Waiting{delimiter, std::move(body)});
  waiting->bytes += bytes;
  total_bytes_ += bytes;
  ++counters_.replies_queued;
  return Outcome::queued;
}

void ReplyOutbox::flush(std::size_t messages_max) {
  std::size_t sends = 0;
  for (auto it = backlog_.begin();
       it != backlog_.end() && sends < messages_max;) {
    Backlog& waiting = it->second;
    bool gone = false;
    while (!waiting.replies.empty() && sends < messages_max) {
      Waiting& front = waiting.replies.front();
      const SendResult r = send_(it->first, front.delimiter, front.body);
      ++sends;
      if (r == SendResult::would_block) break;
      if (r == SendResult::unroutable) {
        gone = true;
        break;
      }
      waiting.bytes -= front.body.size();
      total_bytes_ -= front.body.size();
      waiting.replies.pop_front();
    }
    if (gone) {
      counters_.replies_discarded += waiting.replies.size();
      auto next = std::next(it);
      forget_backlog(it);
      it = next;
    } else if (waiting.replies.empty()) {
      it = backlog_.erase(it);
    } else {
      ++it;
    }
  }
}

bool ReplyOutbox::dropped(const Bytes& routing_id, std::uint64_t now_ms) {
  auto it = dropped_until_ms_.find(routing_id);
  if (it == dropped_until_ms_.end()) return false;
  if (now_ms < it->second) return true;
  dropped_until_ms_.erase(it);
  return false;
}

void ReplyOutbox::drop(const Bytes& routing_id, std::uint64_t now_ms) {
  ++counters_.peers_dropped;
  auto it = backlog_.find(routing_id);
  if (it != backlog_.end()) {
    counters_.replies_discarded += it->second.replies.size();
    forget_backlog(it);
  }
  ++counters_.replies_discarded;  // the reply that broke the budget
  if (dropped_until_ms_.size() >= dropped_peers_max_) {
    // Full (rare; bounded by dropped_peers_max): forget expired entries,
    // then, if none had expired, the one that expires first.
    std::erase_if(dropped_until_ms_,
                  [now_ms](const auto& d) { return d.second <= now_ms; });
    if (dropped_until_ms_.size() >= dropped_peers_max_) {
      dropped_until_ms_.erase(std::min_element(
          dropped_until_ms_.begin(), dropped_until_ms_.end(),
          [](const auto& a, const auto& b) { return a.second < b.second; }));
    }
  }
  dropped_until_ms_[routing_id] = now_ms + dropped_ms_;
}

void ReplyOutbox::forget_backlog(std::map<Bytes, Backlog>::iterator it) {
  total_bytes_ -= it->second.bytes;
  backlog_.erase(it);
}

}  // namespace slurp::node
