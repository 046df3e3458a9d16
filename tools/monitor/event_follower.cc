#include "tools/monitor/event_follower.h"

#include <algorithm>

namespace slurp::monitor {

using client::SequenceVerdict;
using client::StreamItem;

namespace {

// The seq an event has, or a beacon names (its node's latest event).
std::uint64_t item_seq(const StreamItem& item) {
  if (const auto* beacon = std::get_if<Beacon>(&item.item)) return beacon->seq;
  return std::get<Event>(item.item).seq;
}

}  // namespace

EventFollower::EventFollower(zmq::context_t& context,
                             const client::ToolConfig& tool,
                             const std::vector<std::string>& nodes,
                             bool history, FollowerSink& sink)
    : context_(context), tool_(tool), sink_(sink) {
  if (!history) return;
  // At once rather than on first contact: a follower may publish nothing
  // for a long time, and its history should show now.
  for (const std::string& node : nodes) {
    start_fill(node, 1, UINT64_MAX, true);
  }
}

void EventFollower::handle(StreamItem item) {
  if (const auto* error = std::get_if<Error>(&item.item)) {
    // A refused handshake repeats on every reconnect: say it once.
    if (error->code != ErrorCode::unauthenticated ||
        refused_.insert(item.source).second) {
      sink_.problem(item.source, error->describe());
    }
    return;
  }
  if (held_.contains(item.source)) {
    hold(std::move(item), false);
    return;
  }
  sequence(std::move(item));
}

void EventFollower::sequence(StreamItem item) {
  using Kind = SequenceVerdict::Kind;
  const std::string& node = item.source;
  const bool beacon = std::holds_alternative<Beacon>(item.item);
  const std::uint64_t seq = item_seq(item);
  const SequenceVerdict verdict =
      beacon ? sequence_.on_beacon(node, seq) : sequence_.on_event(node, seq);
  // A beacon's seq is the node's latest event, which we have not seen.
  const std::uint64_t before = beacon ? seq : seq - 1;
  if (verdict.kind == Kind::first && history_on_contact_.erase(node) > 0 &&
      before >= 1) {
    // What happened before we subscribed (PUB has no history).
    start_fill(node, 1, before);
  } else if (verdict.kind == Kind::gap) {
    sink_.gap(node, verdict.missing_from, verdict.missing_to);
    start_fill(node, verdict.missing_from, verdict.missing_to);
  } else if (verdict.kind == Kind::restarted) {
    sink_.restart(node, seq, verdict.previous);
  }
  if (held_.contains(node)) {
    hold(std::move(item), true);  // after the events being fetched
  } else {
    deliver(item);
  }
}

void EventFollower::deliver(const StreamItem& item) {
  if (const auto* event = std::get_if<Event>(&item.item)) {
    sink_.event(*event, false);
  } else {
    sink_.beacon(std::get<Beacon>(item.item));
  }
}

void EventFollower::start_fill(const std::string& node, std::uint64_t from,
                               std::uint64_t to, bool history) {
  fills_.push_back(Fill{node, from, to, history, 0});
  held_[node];  // from now on the node's items wait for the fill
}

void EventFollower::hold(StreamItem item, bool sequenced) {
  std::deque<Held>& queue = held_[item.source];
  // Dropped here, the items stay in the node's history: the next one that
  // is kept shows the jump, and they are fetched as a gap.
  if (queue.size() >= held_items_max) return;
  queue.push_back(Held{std::move(item), sequenced});
}

void EventFollower::fetch_round() {
  if (fills_.empty()) return;
  if (fetch_into(fills_.front())) finish_fill();
}

bool EventFollower::fetch_into(Fill& fill) {
  client::Client* client = client_for(fill.node);
  if (client == nullptr) return true;
  auto reply = client->fetch_events(fill.next);
  if (!reply) {
    sink_.problem(fill.node, "cannot fetch events from " +
                                 std::to_string(fill.next) + ": " +
                                 reply.error().describe());
    if (fill.history && fill.next == 1) history_on_contact_.insert(fill.node);
    return true;
  }
  if (reply->first_available_seq > fill.next) {
    const std::uint64_t gone_to =
        std::min(fill.to, reply->first_available_seq - 1);
    sink_.lost(fill.node, fill.next, gone_to, reply->first_available_seq);
    fill.next = gone_to + 1;
  }
  for (const Event& event : reply->events) {
    if (event.seq < fill.next) continue;
    if (event.seq > fill.to) break;
    // A gap's seqs are accounted for already; history's are new.
    if (fill.history) sequence_.on_event(fill.node, event.seq);
    sink_.event(event, true);
    fill.next = event.seq + 1;
  }
  if (fill.next > fill.to) return true;
  if (reply->events.empty()) {
    // History ends where the node's sequence does.
    if (!fill.history) {
      sink_.problem(fill.node, "events " + std::to_string(fill.next) + ".." +
                                   std::to_string(fill.to) + " not fetched");
    }
    return true;
  }
  if (++fill.rounds >= fetch_rounds_max) {
    sink_.problem(fill.node, "gave up fetching at seq " +
                                 std::to_string(fill.next) + " after " +
                                 std::to_string(fill.rounds) + " rounds");
    return true;
  }
  return false;
}

void EventFollower::finish_fill() {
  const Fill fill = fills_.front();
  fills_.pop_front();
  auto it = held_.find(fill.node);
  std::deque<Held> queue = std::move(it->second);
  held_.erase(it);
  const std::optional<std::uint64_t> fetched_to =
      fill.history ? sequence_.last(fill.node) : std::nullopt;
  // Held items in order; one of them may start another fill, and then the
  // rest wait for that one.
  while (!queue.empty()) {
    Held held = std::move(queue.front());
    queue.pop_front();
    if (fetched_to && item_seq(held.item) <= *fetched_to) {
      // Published while the history was being fetched, and fetched too;
      // a beacon that old names nothing new (and passed on, it would
      // look like a restart). A node restarting in that instant would
      // lose these few items.
      continue;
    }
    if (held_.contains(fill.node)) {
      hold(std::move(held.item), held.sequenced);
    } else if (held.sequenced) {
      deliver(held.item);
    } else {
      sequence(std::move(held.item));
    }
  }
}

client::Client* EventFollower::client_for(const std::string& node) {
  auto it = clients_.find(node);
  if (it != clients_.end()) return it->second.get();
  const client::NodeTarget* target = tool_.find_node(node);
  if (target == nullptr) return nullptr;
  auto client = client::Client::connect(
      context_,
      tool_.client_options(*target, fetch_timeout, fetch_connect_timeout));
  if (!client) {
    sink_.problem(node, client.error().describe());
    return nullptr;
  }
  return (clients_[node] = std::move(*client)).get();
}

}  // namespace slurp::monitor
