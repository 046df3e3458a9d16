// Replies on the api ROUTER, with a budget per connection in bytes and
// messages, so a client that never reads cannot freeze or bloat the node.
//
// libzmq holds at most api_send_hwm_messages replies per connection in its
// pipe; a send past that fails at once (router_mandatory + dontwait), and
// the reply waits here instead, where its bytes are counted. A connection
// whose waiting replies pass its budget (reply_backlog_*_max; larger for
// node peers, which carry forwarded replies) is dropped: what waits for it
// is discarded, its further requests are ignored for dropped_peer_ms, and
// the caller audits the drop once. The sum over all connections is capped
// too (reply_backlog_total_bytes_max): the connection that would pass it is
// the one dropped.
//
// Sans-IO: the socket is behind `SendFn`, so tests drive it with a fake.
//
// Threads: the node thread only (the thread that owns the api socket).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "protocol/field_codec.h"

namespace slurp::node {

class ReplyOutbox {
 public:
  // What the socket did with one reply.
  enum class SendResult {
    sent,         // libzmq took it
    would_block,  // that connection's pipe is full (EAGAIN)
    unroutable,   // the connection is gone (EHOSTUNREACH)
  };
  using SendFn = std::function<SendResult(const Bytes& routing_id,
                                          bool delimiter, std::string_view)>;

  struct Budget {
    std::size_t bytes_max = 0;
    std::size_t messages_max = 0;
    // Node peers are never dropped: their connection also carries
    // consensus messages, and ignoring those would cost elections. A reply
    // past their budget is discarded alone (a follower resends a forward
    // it got no answer to).
    bool drop_peer = true;
  };

  // What happened to a reply handed to send().
  enum class Outcome {
    sent,
    queued,        // waits here for the connection to read
    discarded,     // connection gone, dropped earlier, or (for a budget
                   // that does not drop) this reply was over it
    peer_dropped,  // this reply broke the budget: the connection is dropped
  };

  struct Counters {
    std::uint64_t peers_dropped = 0;
    std::uint64_t replies_discarded = 0;
    std::uint64_t replies_queued = 0;
  };

  ReplyOutbox(SendFn send, std::size_t total_bytes_max,
              std::uint64_t dropped_ms, std::size_t dropped_peers_max);

  // Sends or queues one reply. On peer_dropped the caller audits the drop
  // (once: later replies to the connection are simply discarded).
  Outcome send(const Bytes& routing_id, bool delimiter, std::string body,
               const Budget& budget, std::uint64_t now_ms);

  // Moves waiting replies into libzmq until each connection's pipe is
  // full again; at most `messages_max` sends in all. Call every loop turn.
  void flush(std::size_t messages_max);

  // Whether requests from this connection are ignored (dropped lately).
  bool dropped(const Bytes& routing_id, std::uint64_t now_ms);

  std::size_t backlog_bytes() const { return total_bytes_; }
  // Bytes waiting for one connection (0 when none wait).
  std::size_t backlog_bytes_of(const Bytes& routing_id) const {
    auto it = backlog_.find(routing_id);
    return it == backlog_.end() ? 0 : it->second.bytes;
  }
  std::size_t backlog_peers() const { return backlog_.size(); }
  const Counters& counters() const { return counters_; }

 private:
  struct Waiting {
    bool delimiter = false;
    std::string body;
  };
  struct Backlog {
    std::deque<Waiting> replies;
    std::size_t bytes = 0;
  };

  void drop(const Bytes& routing_id, std::uint64_t now_ms);
  void forget_backlog(std::map<Bytes, Backlog>::iterator it);

  SendFn send_;
  std::size_t total_bytes_max_;
  std::uint64_t dropped_ms_;
  std::size_t dropped_peers_max_;
  std::map<Bytes, Backlog> backlog_;
  std::size_t total_bytes_ = 0;
  // Dropped connections, until when their requests are ignored.
  std::map<Bytes, std::uint64_t> dropped_until_ms_;
  Counters counters_;
};

}  // namespace slurp::node
