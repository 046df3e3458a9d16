// Following every node's event sequence for slurp-monitor: what arrives on
// the SUB sockets (EventStream) goes through EventSequence; a jump in a
// node's seq is reported and its events fetched (fetch_events), a step
// back is reported as a restart. With `history`, each node's kept events
// are fetched first, from seq 1 (a node not reachable then is asked on
// its first event or beacon instead).
//
// Fetching never holds up the SUB sockets: a gap is filled one
// fetch_events round at a time (fetch_round), between which the caller
// keeps draining the stream. While a node's gap is being filled its newer
// items are held back (up to held_items_max; beyond that they are dropped
// and, being in the node's history, fetched later as another gap), so the
// sink still sees each node's events in sequence order.
//
// Threads: the thread that owns the EventStream; the sink is called on it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "src/client/client.h"
#include "src/client/event_sequence.h"
#include "src/client/event_stream.h"
#include "src/client/tool_config.h"

namespace slurp::monitor {

// What the follower found, in each node's sequence order.
class FollowerSink {
 public:
  virtual ~FollowerSink() = default;
  virtual void event(const Event& event, bool fetched) = 0;
  virtual void beacon(const Beacon& beacon) = 0;
  // Missed [from_seq, to_seq] of `node`; their fetched events follow.
  virtual void gap(const std::string& node, std::uint64_t from_seq,
                   std::uint64_t to_seq) = 0;
  // Of those, [from_seq, to_seq] are gone from the node's history.
  virtual void lost(const std::string& node, std::uint64_t from_seq,
                    std::uint64_t to_seq,
                    std::uint64_t first_available_seq) = 0;
  virtual void restart(const std::string& node, std::uint64_t seq,
                       std::uint64_t previous_seq) = 0;
  // Something to tell a human (stderr): a refused handshake, a failed
  // fetch.
  virtual void problem(const std::string& node, const std::string& text) = 0;
};

class EventFollower {
 public:
  // A node keeps event_history_events_max events and answers at most
  // events_per_reply_max per fetch: more rounds than this find nothing.
  static constexpr int fetch_rounds_max = 100;
  static constexpr std::size_t held_items_max = 20000;
  // One fetch_events call; a node that is down costs the connect part.
  static constexpr std::chrono::milliseconds fetch_timeout{2000};
  static constexpr std::chrono::milliseconds fetch_connect_timeout{1000};

  // `history`: fetch what each of `nodes` still keeps before anything
  // else of theirs is passed on.
  EventFollower(zmq::context_t& context, const client::ToolConfig& tool,
                const std::vector<std::string>& nodes, bool history,
                FollowerSink& sink);

  void handle(client::StreamItem item);
  // Whether a gap waits for fetch_round.
  bool fetching() const { return !fills_.empty(); }
  // One fetch_events call for the oldest gap; when that gap is done, the
  // items its node held back are handled.
  void fetch_round();

 private:
  struct Fill {
    std::string node;
    std::uint64_t next = 0;  // the first seq not yet fetched
    std::uint64_t to = 0;    // inclusive
    bool history = false;    // from 1 to whatever the node has
    int rounds = 0;
  };
  struct Held {
    client::StreamItem item;
    bool sequenced = false;  // EventSequence has seen it: deliver only
  };

  void sequence(client::StreamItem item);
  void deliver(const client::StreamItem& item);
  void start_fill(const std::string& node, std::uint64_t from, std::uint64_t to,
                  bool history = false);
  // Advances `fill` with one reply; true when the fill is over.
  bool fetch_into(Fill& fill);
  void finish_fill();
  void hold(client::StreamItem item, bool sequenced);
  client::Client* client_for(const std::string& node);

  zmq::context_t& context_;
  const client::ToolConfig& tool_;
  // Nodes whose history is still to be fetched on first contact.
  std::set<std::string> history_on_contact_;
  FollowerSink& sink_;
  client::EventSequence sequence_;
  std::deque<Fill> fills_;  // at most one per node
  std::map<std::string, std::deque<Held>> held_;
  std::map<std::string, std::unique_ptr<client::Client>> clients_;
  std::set<std::string> refused_;  // nodes whose handshake refusal was told
};

}  // namespace slurp::monitor
