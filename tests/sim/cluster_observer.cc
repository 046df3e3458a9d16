// The Cluster's side of NodeObserver and ClientHost: where what a node
// reports goes (checker, clients, network, trace). Split from cluster.cc,
// which holds the event loop and the faults.
#include "tests/sim/cluster.h"

namespace slurp::sim {

void Cluster::on_write(const SimNode& node, const consensus::Ready& ready) {
  checker_.on_write(node, ready);
  std::vector<TraceField> fields;
  if (!ready.entries.empty()) {
    fields.push_back({"first", ready.entries.front().index});
    fields.push_back({"entries", ready.entries.size()});
  }
  if (ready.hard_state) {
    fields.push_back({"hs_term", ready.hard_state->term});
    fields.push_back({"hs_commit", ready.hard_state->commit});
  }
  if (ready.snapshot) {
    fields.push_back({"snapshot", ready.snapshot->meta.last_index});
  }
  trace_.event(now_, "write", node.name(), fields);
}

void Cluster::on_loaded(const SimNode& node,
                        const consensus::InitialState& initial) {
  checker_.on_loaded(node, initial);
  trace_.event(
      now_, "loaded", node.name(),
      {{"term", initial.hard_state.term},
       {"commit", initial.hard_state.commit},
       {"snapshot", initial.snapshot ? initial.snapshot->meta.last_index : 0},
       {"entries", initial.entries.size()}});
}

void Cluster::on_fsync_started(const SimNode& node) {
  push(now_ + prng_.between(settings_.fsync_us_min, settings_.fsync_us_max),
       SyncEvent{node.index(), node.life()});
}

void Cluster::on_synced(const SimNode& node) {
  trace_.silent(now_, "sync", node.index());
}

void Cluster::on_send(const SimNode& node,
                      const consensus::Envelope& envelope) {
  std::optional<NodeIndex> to = parse_node_name(envelope.to, nodes_.size());
  if (!to || *to == node.index()) {
    on_anomaly(node, "sends to '" + envelope.to + "', not a peer");
    return;
  }
  for (Micros at : network_.send(node.index(), *to, now_, prng_)) {
    push(at, DeliverEvent{node.index(), *to, envelope.message});
  }
}

void Cluster::on_apply(const SimNode& node, const LogEntry& entry) {
  checker_.on_apply(node, entry);
  clients_.on_apply(node, entry, now_);
  trace_.silent(now_, "apply", node.index() * (1ULL << 40) + entry.index);
}

void Cluster::on_restore(const SimNode& node) {
  checker_.on_restore(node);
  clients_.on_restore(node, now_);
  trace_.event(now_, "restore", node.name(),
               {{"index", node.state().applied_index()}});
}

void Cluster::on_proposal(const SimNode& node, const ProposalInput& proposal,
                          const Result<std::uint64_t>& outcome) {
  if (proposal.pipeline) {
    if (pipeline_) pipeline_->on_proposal(node, proposal, outcome);
    return;
  }
  if (outcome) {
    trace_.event(now_, "accepted", node.name(),
                 {{"client", proposal.client + 1}, {"index", *outcome}});
  } else {
    trace_.event(now_, error_name(outcome.error().code), node.name(),
                 {{"client", proposal.client + 1}});
  }
  clients_.on_proposal(node, proposal, outcome, now_);
}

void Cluster::on_state_applied(const SimNode& node, const LogEntry& entry,
                               const state::ApplyOutcome& outcome) {
  if (pipeline_) pipeline_->on_state_applied(node, entry, outcome);
}

void Cluster::on_request_applied(const SimNode& /*node*/, std::size_t client,
                                 std::uint64_t request,
                                 const LogEntry& /*entry*/,
                                 const state::ApplyOutcome& outcome) {
  if (pipeline_) pipeline_->on_request_applied(client, request, outcome);
}

void Cluster::on_request_again(const SimNode& /*node*/, std::size_t client,
                               std::uint64_t request) {
  if (pipeline_) pipeline_->on_request_again(client, request);
}

void Cluster::on_jobs_pushed(const SimNode& node,
                             const std::vector<JobBatch>& batches) {
  if (pipeline_) pipeline_->on_jobs_pushed(node, batches);
}

void Cluster::on_results_not_led(const SimNode& node,
                                 const ResultInput& results) {
  if (pipeline_) pipeline_->pass_results_on(node, results);
}

void Cluster::on_settled(const SimNode& node) {
  checker_.on_settled(node);
  if (!node.up()) return;
  const consensus::Raft& raft = node.raft();
  Seen current{raft.role(), raft.term(), raft.commit_index()};
  Seen& seen = seen_[node.index()];
  if (current.role == seen.role && current.term == seen.term &&
      current.commit == seen.commit) {
    return;
  }
  seen = current;
  trace_.event(now_, consensus::raft_role_name(current.role), node.name(),
               {{"term", current.term},
                {"commit", current.commit},
                {"last", raft.last_index()}});
}

void Cluster::on_anomaly(const SimNode& node, const std::string& what) {
  trace_.note(now_, node.name() + ": " + what);
  checker_.on_anomaly(node, what);
}

void Cluster::send_input(NodeIndex node, NodeInput input, Micros at) {
  push(at, InputEvent{node, std::move(input)});
}

void Cluster::on_read_index(const SimNode& node, const ReadInput& read,
                            const Status& outcome) {
  trace_.event(now_, outcome ? "read-index" : error_name(outcome.error().code),
               node.name(), {{"client", read.client + 1}});
  clients_.on_read_index(node, read, outcome, now_);
}

void Cluster::on_read_served(const SimNode& node,
                             const consensus::ReadState& read) {
  clients_.on_read_served(node, read, now_);
}

void Cluster::wake_client(std::size_t client, std::uint64_t generation,
                          Micros at) {
  push(at, ClientEvent{client, generation});
}

}  // namespace slurp::sim
