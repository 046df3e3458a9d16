#include "tests/sim/clients.h"

#include <algorithm>
#include <string>

#include "tests/sim/log_state_machine.h"

namespace slurp::sim {
namespace {

std::string client_name(std::size_t id) {
  return "c" + std::to_string(id + 1);
}

}  // namespace

Clients::Clients(ClientSettings settings, std::size_t node_count, Prng& prng,
                 ClientHost& host, Checker& checker, Trace& trace)
    : settings_(settings),
      node_count_(node_count),
      prng_(prng),
      host_(host),
      checker_(checker),
      trace_(trace),
      clients_(settings.count) {}

void Clients::start(Micros now) {
  for (std::size_t id = 0; id < clients_.size(); ++id) {
    retry_after(id, prng_.between(0, settings_.think_us_max), now);
  }
}

void Clients::retry_after(std::size_t id, Micros delay_us, Micros now) {
  Client& client = clients_[id];
  client.phase = Phase::idle;
  host_.wake_client(id, ++client.generation, now + delay_us);
}

void Clients::wake(std::size_t id, std::uint64_t generation, Micros now) {
  Client& client = clients_[id];
  if (generation != client.generation) return;
  if (client.phase != Phase::idle) {
    // No answer in time: the node may be down, cut off or deposed.
    ++counters_.timeouts;
    trace_.event(now, "timeout", client_name(id),
                 {{"attempt", client.attempt}});
    client.leader_guess.reset();
  }
  send_attempt(id, now);
}

void Clients::send_attempt(std::size_t id, Micros now) {
  if (prng_.chance(settings_.read_fraction)) return send_read(id, now);
  Client& client = clients_[id];
  client.reading = false;
  ++counters_.attempts;
  ++client.attempt;
  const std::string text =
      client_name(id) + "-" + std::to_string(client.attempt);
  client.payload.assign(text.begin(), text.end());
  client.created_us = now;
  client.node = client.leader_guess
                    ? *client.leader_guess
                    : static_cast<NodeIndex>(prng_.below(node_count_));
  client.phase = Phase::sent;
  trace_.event(now, "propose", client_name(id),
               {{"attempt", client.attempt}, {"to", client.node + 1}});
  host_.send_input(
      client.node, ProposalInput{id, client.attempt, client.payload},
      now + prng_.between(settings_.link_us_min, settings_.link_us_max));
  host_.wake_client(id, ++client.generation, now + settings_.timeout_us);
}

void Clients::on_proposal(const SimNode& node, const ProposalInput& proposal,
                          const Result<std::uint64_t>& outcome, Micros now) {
  Client& client = clients_[proposal.client];
  if (client.phase != Phase::sent || proposal.request != client.attempt) {
    return;  // an attempt the client already gave up on
  }
  const Micros reply_us =
      prng_.between(settings_.link_us_min, settings_.link_us_max);
  if (outcome) {
    ++counters_.accepted;
    client.phase = Phase::accepted;
    client.index = *outcome;
    client.term = node.raft().term();
    client.leader_guess = node.index();
    auto [it, inserted] =
        waiting_.try_emplace({node.index(), client.index}, proposal.client);
    if (!inserted) {
      // The node reused the index: the older proposal there was replaced.
      std::size_t older = it->second;
      it->second = proposal.client;
      ++counters_.lost;
      retry_after(older, reply_us, now);
    }
    return;
  }
  retry_refused(proposal.client, node, outcome.error(), now);
}

void Clients::retry_refused(std::size_t id, const SimNode& node,
                            const Error& error, Micros now) {
  Client& client = clients_[id];
  if (error.code != ErrorCode::not_leader) {
    ++counters_.other_errors;  // queue_full, conflict (transfer under way)
    retry_after(id, prng_.between(20 * kMicrosPerMs, 60 * kMicrosPerMs), now);
    return;
  }
  ++counters_.not_leader;
  client.leader_guess = parse_node_name(error.field, node_count_);
  if (client.leader_guess == node.index()) client.leader_guess.reset();
  // With a hint, go there at once; without one, give an election time.
  retry_after(id,
              client.leader_guess
                  ? prng_.between(settings_.link_us_min, settings_.link_us_max)
                  : prng_.between(10 * kMicrosPerMs, 50 * kMicrosPerMs),
              now);
}

void Clients::on_apply(const SimNode& node, const LogEntry& entry, Micros now) {
  auto it = waiting_.find({node.index(), entry.index});
  if (it == waiting_.end()) return;
  std::size_t id = it->second;
  waiting_.erase(it);
  settle(id, entry, now);
}

void Clients::settle(std::size_t id, const LogEntry& applied, Micros now) {
  Client& client = clients_[id];
  if (client.phase != Phase::accepted || client.index != applied.index) {
    return;  // the client timed out and moved on meanwhile
  }
  if (applied.term == client.term && applied.data == client.payload) {
    checker_.on_acknowledged(applied.index, applied.term,
                             entry_digest(applied.kind, applied.data));
    acked_index_max_ = std::max(acked_index_max_, applied.index);
    acks_.push_back({applied.index, applied.term, client.created_us, now});
    trace_.event(now, "ack", client_name(id),
                 {{"index", applied.index}, {"term", applied.term}});
    retry_after(
        id, prng_.between(settings_.think_us_min, settings_.think_us_max), now);
    return;
  }
  ++counters_.lost;  // another leader's entry won the index: try again
  retry_after(id, prng_.between(settings_.link_us_min, settings_.link_us_max),
              now);
}

void Clients::on_restore(const SimNode& node, Micros now) {
  // A snapshot may jump over indices clients wait for: settle them from the
  // restored state, which holds every applied command.
  const LogStateMachine& state = node.state();
  auto it = waiting_.lower_bound({node.index(), 0});
  while (it != waiting_.end() && it->first.first == node.index() &&
         it->first.second <= state.applied_index()) {
    std::size_t id = it->second;
    std::uint64_t index = it->first.second;
    it = waiting_.erase(it);
    settle(id, state.at(index), now);
  }
}

void Clients::on_crash(NodeIndex node) {
  // Their clients will time out: an accepted proposal on a crashed node has
  // an unknown fate.
  for (auto* waiting : {&waiting_, &reading_}) {
    auto it = waiting->lower_bound({node, 0});
    while (it != waiting->end() && it->first.first == node) {
      it = waiting->erase(it);
    }
  }
}

std::optional<Acknowledgement> Clients::first_ack_since(Micros since) const {
  for (const Acknowledgement& ack : acks_) {
    if (ack.created_us >= since) return ack;
  }
  return std::nullopt;
}

}  // namespace slurp::sim

namespace slurp::sim {

void Clients::send_read(std::size_t id, Micros now) {
  Client& client = clients_[id];
  ++client.attempt;
  client.reading = true;
  client.read_id = ++next_read_id_;
  client.read_floor = acked_index_max_;
  client.created_us = now;
  client.node = client.leader_guess
                    ? *client.leader_guess
                    : static_cast<NodeIndex>(prng_.below(node_count_));
  client.phase = Phase::sent;
  trace_.event(now, "read", client_name(id),
               {{"attempt", client.attempt}, {"to", client.node + 1}});
  host_.send_input(
      client.node, ReadInput{id, client.read_id},
      now + prng_.between(settings_.link_us_min, settings_.link_us_max));
  host_.wake_client(id, ++client.generation, now + settings_.timeout_us);
}

void Clients::on_read_index(const SimNode& node, const ReadInput& read,
                            const Status& outcome, Micros now) {
  Client& client = clients_[read.client];
  if (client.phase != Phase::sent || !client.reading ||
      client.read_id != read.request) {
    return;  // an attempt the client already gave up on
  }
  if (!outcome) return retry_refused(read.client, node, outcome.error(), now);
  client.phase = Phase::accepted;
  client.leader_guess = node.index();
  reading_[{node.index(), read.request}] = read.client;
}

void Clients::on_read_served(const SimNode& node,
                             const consensus::ReadState& read, Micros now) {
  auto it = reading_.find({node.index(), read.request_id});
  if (it == reading_.end()) return;
  const std::size_t id = it->second;
  reading_.erase(it);
  Client& client = clients_[id];
  if (client.phase != Phase::accepted || client.read_id != read.request_id) {
    return;
  }
  ++counters_.reads_served;
  checker_.on_read_served(node, read.index, client.read_floor);
  trace_.event(now, "read-served", client_name(id),
               {{"index", read.index}, {"floor", client.read_floor}});
  retry_after(id, prng_.between(settings_.think_us_min, settings_.think_us_max),
              now);
}

}  // namespace slurp::sim
