// LeaderPipeline driven by real consensus::Raft cores and real
// state::StateMachines, in one thread: proposals go through Raft, entries
// reach the state machine and the pipeline only once committed, as in
// slurpd. Times are passed by hand.
#include "src/node/leader_pipeline.h"

#include <catch2/catch.hpp>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocol/record_codec.h"
#include "src/consensus/ready_loop.h"

namespace slurp::node {
namespace {

using consensus::RaftRole;
using Decision = LeaderPipeline::ResultVerdict::Decision;
using Fault = LeaderPipeline::Fault;

std::string address(const std::string& name) {
  return "ucxl://test/project/" + name;
}

LeaderPipeline::Settings settings_for(std::string node_id) {
  LeaderPipeline::Settings s;
  s.node_id = std::move(node_id);
  s.job_lease_ms = 100;
  s.job_retry_backoff_ms = 1000;
  s.seed = 7;
  return s;
}

// One server: a Raft core, the state machine it applies to, and the
// pipeline, wired as the node wires them (after_consensus_change's reset
// included).
struct Member {
  Member(std::unique_ptr<consensus::Raft> r, LeaderPipeline::Settings s)
      : raft(std::move(r)), pipeline(std::move(s)) {}
  std::unique_ptr<consensus::Raft> raft;
  state::StateMachine machine;
  LeaderPipeline pipeline;
  std::vector<JobBatch> pushed;  // what on_applied returned
  bool was_leader = false;
};

class Cluster {
 public:
  explicit Cluster(std::size_t n, const LeaderPipeline::Settings& settings =
                                      settings_for("")) {
    std::vector<consensus::NodeId> ids;
    for (std::size_t i = 0; i < n; ++i) ids.push_back(name(i));
    for (std::size_t i = 0; i < n; ++i) {
      consensus::Config config;
      config.id = ids[i];
      config.members = ids;
      config.seed = 11 + i;
      auto raft = consensus::Raft::create(config, {});
      REQUIRE(raft.ok());
      LeaderPipeline::Settings s = settings;
      s.node_id = ids[i];
      members_.push_back(std::make_unique<Member>(std::move(*raft), s));
    }
  }

  static std::string name(std::size_t i) { return "n" + std::to_string(i + 1); }
  Member& operator[](std::size_t i) { return *members_[i]; }
  std::size_t size() const { return members_.size(); }

  // Handles every Ready (no disk: nothing here restarts), delivers every
  // message over links that are not cut, until quiet.
  void settle() {
    for (int round = 0; round < 10000; ++round) {
      for (std::size_t i = 0; i < size(); ++i) process(i);
      if (network_.empty()) return;
      while (!network_.empty()) {
        auto [from, envelope] = std::move(network_.front());
        network_.pop_front();
        auto to = index_of(envelope.to);
        if (cut_.count(from) || cut_.count(to)) continue;
        members_[to]->raft->step(envelope.message);
      }
    }
    FAIL("the cluster did not settle");
  }

  void isolate(std::size_t i) { cut_.insert(i); }
  // Node i's Ready goes out and reaches the others, then i is cut off: they
  // hold its new entries, and it never learns that they committed.
  void send_then_isolate(std::size_t i) {
    process(i);
    for (auto& [from, envelope] : network_) {
      if (from == i)
        members_[index_of(envelope.to)]->raft->step(envelope.message);
    }
    network_.clear();
    isolate(i);
  }
  // One tick (a leader's heartbeat), then everything it causes.
  void tick(std::size_t i) {
    members_[i]->raft->tick();
    settle();
  }
  void heal() { cut_.clear(); }

  // Ticks the nodes that are not cut off until one other than `not_this`
  // leads; returns it.
  std::size_t elect_other_than(std::optional<std::size_t> not_this) {
    for (int t = 0; t < 2000; ++t) {
      for (std::size_t i = 0; i < size(); ++i) {
        if (!cut_.count(i)) members_[i]->raft->tick();
      }
      settle();
      for (std::size_t i = 0; i < size(); ++i) {
        if (i != not_this && !cut_.count(i) &&
            members_[i]->raft->role() == RaftRole::leader) {
          return i;
        }
      }
    }
    FAIL("no leader elected");
    return 0;
  }

  void propose(std::size_t i, state::CommandKind kind, Bytes data) {
    REQUIRE(members_[i]->raft->propose(static_cast<std::uint64_t>(kind),
                                       std::move(data)));
  }

  std::uint64_t enqueue(std::size_t i, const std::string& name,
                        std::vector<std::string> depends_on = {}) {
    state::EnqueueCommand c;
    c.request_id = name;
    c.requester = "alice";
    c.role = "developer";
    c.address = address(name);
    c.depends_on = std::move(depends_on);
    c.time_ms = 1000;
    c.engine_version = "e1";
    propose(i, state::CommandKind::enqueue, encode_record(c));
    settle();
    auto id = members_[i]->machine.job_for_request("alice", name);
    REQUIRE(id);
    return *id;
  }

  std::vector<JobBatch> turn(std::size_t i, std::uint64_t wall_ms,
                             std::uint64_t steady_ms, bool can_push = true) {
    Member& m = *members_[i];
    return m.pipeline.turn(*m.raft, m.machine, wall_ms, steady_ms, can_push);
  }

  LeaderPipeline::ResultVerdict results(std::size_t i, const ResultBatch& batch,
                                        std::uint64_t wall_ms) {
    Member& m = *members_[i];
    return m.pipeline.on_results(batch, *m.raft, m.machine, wall_ms);
  }

 private:
  // The shared ReadyLoop, as slurpd runs it: no disk here (nothing
  // restarts), messages onto the network, entries into the state machine
  // and then the pipeline (Node::apply_entry's order).
  struct Ports : consensus::ReadyPorts {
    Ports(Cluster& c, std::size_t i) : cluster(c), index(i) {}
    void persist(const consensus::Ready&) override {}
    void send(const consensus::Envelope& e) override {
      cluster.network_.emplace_back(index, e);
    }
    void restore(const consensus::Snapshot& snapshot) override {
      REQUIRE(cluster.members_[index]->machine.restore(*snapshot.data.bytes()));
    }
    void apply(const LogEntry& entry) override {
      Member& m = *cluster.members_[index];
      state::ApplyOutcome outcome = m.machine.apply(entry);
      for (JobBatch& b :
           m.pipeline.on_applied(entry, outcome, *m.raft, m.machine)) {
        m.pushed.push_back(std::move(b));
      }
    }
    void read_confirmed(const consensus::ReadState&) override {}
    Cluster& cluster;
    std::size_t index;
  };

  void process(std::size_t i) {
    Member& m = *members_[i];
    Ports ports(*this, i);
    consensus::ReadyLoop::drain(*m.raft, ports);
    const bool is_leader = m.raft->role() == RaftRole::leader;
    if (is_leader != m.was_leader) m.pipeline.reset();
    m.was_leader = is_leader;
  }

  std::size_t index_of(const consensus::NodeId& id) const {
    for (std::size_t i = 0; i < size(); ++i) {
      if (name(i) == id) return i;
    }
    FAIL("unknown node " << id);
    return 0;
  }

  std::vector<std::unique_ptr<Member>> members_;
  std::deque<std::pair<std::size_t, consensus::Envelope>> network_;
  std::set<std::size_t> cut_;
};

std::vector<std::pair<std::uint64_t, std::uint64_t>> jobs_in(
    const std::vector<JobBatch>& batches) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (const JobBatch& b : batches) {
    for (const Job& j : b.jobs) out.emplace_back(j.job_id, j.attempt);
  }
  return out;
}

JobResult done(std::uint64_t job_id, std::uint64_t attempt, std::uint64_t term,
               const std::string& name) {
  Context context;
  context.address = address(name);
  context.summary = "done";
  context.engine_version = "e1";
  return JobResult{job_id, attempt, term, true, context, std::nullopt};
}

TEST_CASE(
    "a lease's jobs are pushed only once its entry applies, and only "
    "the granted ones",
    "[pipeline]") {
  Cluster c(1);
  c.elect_other_than(std::nullopt);
  const std::uint64_t a = c.enqueue(0, "a.cc");
  const std::uint64_t b = c.enqueue(0, "b.cc");
  const std::uint64_t d = c.enqueue(0, "d.cc");
  // Cancelled in the log before the lease: the lease skips it.
  c.propose(0, state::CommandKind::cancel,
            encode_record(state::CancelCommand{b, "alice", 1000, {}}));

  CHECK(c.turn(0, 2000, 0).empty());
  CHECK(c[0].pipeline.leasing() == 3);
  CHECK(c[0].pushed.empty());  // proposed, not applied
  CHECK(c.turn(0, 2000, 1).empty());
  CHECK(c[0].pipeline.counters().leases_proposed == 1);  // no second lease

  c.settle();
  CHECK(c[0].pipeline.leasing() == 0);
  REQUIRE(c[0].pushed.size() == 1);
  const JobBatch& batch = c[0].pushed[0];
  CHECK(batch.term == c[0].raft->term());
  CHECK(batch.leader == "n1");
  CHECK(jobs_in(c[0].pushed) ==
        std::vector<std::pair<std::uint64_t, std::uint64_t>>{{a, 1}, {d, 1}});
  CHECK(batch.jobs[0].lease_ms == 100);
  CHECK(c[0].machine.job(a)->state == state::JobState::active);
}

TEST_CASE(
    "an expired lease is failed once, with a backoff that grows with "
    "the attempt",
    "[pipeline]") {
  Cluster c(1);
  c.elect_other_than(std::nullopt);
  const std::uint64_t a = c.enqueue(0, "a.cc");
  std::uint64_t wall = 2000, steady = 0;
  // retry_backoff.h: 1000 << (attempt - 1), plus up to half of it.
  for (std::uint64_t attempt = 1; attempt <= 3; ++attempt) {
    c.turn(0, wall, steady);
    c.settle();
    REQUIRE(c[0].machine.job(a)->attempts == attempt);
    REQUIRE(c[0].machine.job(a)->state == state::JobState::active);
    wall += 100;  // the lease runs out
    steady += 1000;
    c.turn(0, wall, steady);
    steady += 1000;
    c.turn(0, wall, steady);  // not applied yet: not proposed again
    CHECK(c[0].pipeline.counters().lease_expiries == attempt);
    c.settle();
    const state::JobRecord* job = c[0].machine.job(a);
    REQUIRE(job->state == state::JobState::queued);
    CHECK(job->error == "lease expired");
    const std::uint64_t delay = job->queued_since_ms - wall;
    const std::uint64_t base = 1000u << (attempt - 1);
    CHECK(delay >= base);
    CHECK(delay <= base + base / 2);
    wall = job->queued_since_ms;
    steady += 1000;
  }
}

TEST_CASE(
    "a lease that commits only in the next leader's term is pushed by that "
    "leader",
    "[pipeline]") {
  Cluster c(3);
  const std::size_t old_leader = c.elect_other_than(std::nullopt);
  const std::uint64_t a = c.enqueue(old_leader, "a.cc");
  c.turn(old_leader, 2000, 0);
  REQUIRE(c[old_leader].pipeline.leasing() == 1);
  c.send_then_isolate(old_leader);
  const std::size_t next = c.elect_other_than(old_leader);
  // The new leader's first entry committed the old term's lease.
  REQUIRE(c[next].machine.job(a)->state == state::JobState::active);
  CHECK(c[old_leader].pushed.empty());
  CHECK(jobs_in(c[next].pushed) ==
        std::vector<std::pair<std::uint64_t, std::uint64_t>>{{a, 1}});
  CHECK(c[next].pushed[0].term == c[next].raft->term());
  CHECK(c[next].pipeline.counters().orphaned_leases_pushed == 1);
}

TEST_CASE("a result at a deposed leader decides nothing", "[pipeline]") {
  Cluster c(3);
  const std::size_t old = c.elect_other_than(std::nullopt);
  const std::uint64_t a = c.enqueue(old, "a.cc");
  c.turn(old, 2000, 0);
  c.settle();
  REQUIRE(jobs_in(c[old].pushed).size() == 1);
  const std::uint64_t old_term = c[old].raft->term();

  c.isolate(old);
  const std::size_t next = c.elect_other_than(old);
  const std::uint64_t new_term = c[next].raft->term();
  REQUIRE(new_term > old_term);
  REQUIRE(c[old].raft->role() == RaftRole::leader);  // has not heard yet

  SECTION("a result carrying the newer term") {
    const std::uint64_t last = c[old].raft->last_index();
    auto verdict =
        c.results(old, ResultBatch{"w1", {done(a, 1, new_term, "a.cc")}}, 3000);
    CHECK(verdict.decision == Decision::deposed);
    CHECK(verdict.newer_term == new_term);
    CHECK(verdict.commands_proposed == 0);
    CHECK(c[old].raft->last_index() == last);
    CHECK(c[old].pipeline.counters().results_deposed == 1);
  }
  SECTION("a result after the leader stepped down") {
    c.heal();
    c.tick(next);
    REQUIRE(c[old].raft->role() == RaftRole::follower);
    auto verdict =
        c.results(old, ResultBatch{"w1", {done(a, 1, old_term, "a.cc")}}, 3000);
    CHECK(verdict.decision == Decision::not_leader);
    CHECK(verdict.commands_proposed == 0);
  }
}

TEST_CASE("results become complete and fail commands on the leader",
          "[pipeline]") {
  Cluster c(1);
  c.elect_other_than(std::nullopt);
  const std::uint64_t a = c.enqueue(0, "a.cc");
  const std::uint64_t b = c.enqueue(0, "b.cc");
  c.turn(0, 2000, 0);
  c.settle();
  const std::uint64_t term = c[0].raft->term();
  JobResult failed{b, 1, term, false, std::nullopt, "boom"};
  auto verdict =
      c.results(0, ResultBatch{"w1", {done(a, 1, term, "a.cc"), failed}}, 2050);
  CHECK(verdict.decision == Decision::proposed);
  CHECK(verdict.commands_proposed == 2);
  c.settle();
  CHECK(c[0].machine.job(a)->state == state::JobState::completed);
  CHECK(c[0].machine.context(address("a.cc"))->version == 1);
  CHECK(c[0].machine.job(b)->state == state::JobState::queued);
  CHECK(c[0].machine.job(b)->error == "boom");
  REQUIRE(c[0].pipeline.workers().workers(2050).size() == 1);
  CHECK(c[0].pipeline.workers().workers(2050)[0].name == "w1");
}

TEST_CASE(
    "a new leader forgets its predecessor's leases in flight and "
    "re-dispatches the expired ones",
    "[pipeline]") {
  Cluster c(3);
  const std::size_t old = c.elect_other_than(std::nullopt);
  const std::uint64_t a = c.enqueue(old, "a.cc");
  c.turn(old, 2000, 0);
  c.settle();
  REQUIRE(jobs_in(c[old].pushed) ==
          std::vector<std::pair<std::uint64_t, std::uint64_t>>{{a, 1}});
  const std::uint64_t b = c.enqueue(old, "b.cc");
  // The lease for b never leaves the old leader.
  c.isolate(old);
  c.turn(old, 2010, 1000);
  CHECK(c[old].pipeline.leasing() == 1);
  // Check-quorum: cut off, it steps down by itself, and forgets the lease
  // it proposed although no entry at its index was applied.
  for (int t = 0; t < 1000 && c[old].raft->role() == RaftRole::leader; ++t) {
    c.tick(old);
  }
  REQUIRE(c[old].raft->role() == RaftRole::follower);
  CHECK(c[old].pipeline.leasing() == 0);

  const std::size_t next = c.elect_other_than(old);
  c.heal();
  c.tick(next);
  REQUIRE(c[old].raft->role() == RaftRole::follower);

  // b was never leased: the new leader leases it now. a's lease (until
  // 2100) runs out, is failed with backoff, and a goes again as attempt 2.
  c.turn(next, 2200, 0);
  c.settle();
  CHECK(c[next].machine.job(a)->state == state::JobState::queued);
  c.turn(next, c[next].machine.job(a)->queued_since_ms, 1000);
  c.settle();
  CHECK(jobs_in(c[next].pushed) ==
        std::vector<std::pair<std::uint64_t, std::uint64_t>>{{b, 1}, {a, 2}});
  // The old leader's lease entry was replaced: it pushed nothing more.
  CHECK(jobs_in(c[old].pushed).size() == 1);
}

TEST_CASE("dispatch keeps to leasing_jobs_max and waits while it cannot push",
          "[pipeline]") {
  LeaderPipeline::Settings s = settings_for("");
  s.leasing_jobs_max = 3;
  s.dispatch_batch_jobs_max = 2;
  Cluster c(1, s);
  c.elect_other_than(std::nullopt);
  for (int i = 0; i < 5; ++i) c.enqueue(0, "f" + std::to_string(i) + ".cc");

  c.turn(0, 2000, 0, /*can_push=*/false);
  CHECK(c[0].pipeline.leasing() == 0);
  CHECK(c[0].pipeline.counters().leases_proposed == 0);

  c.turn(0, 2000, 1);
  CHECK(c[0].pipeline.leasing() == 3);
  CHECK(c[0].pipeline.counters().leases_proposed == 2);  // 2 + 1
  c.settle();
  CHECK(jobs_in(c[0].pushed).size() == 3);
  c.turn(0, 2000, 2);
  c.settle();
  CHECK(jobs_in(c[0].pushed).size() == 5);
}

TEST_CASE("a turn proposes at most dispatch_leases_per_turn_max leases",
          "[pipeline]") {
  LeaderPipeline::Settings s = settings_for("");
  s.dispatch_batch_jobs_max = 1;
  s.dispatch_leases_per_turn_max = 2;
  Cluster c(1, s);
  c.elect_other_than(std::nullopt);
  for (int i = 0; i < 5; ++i) c.enqueue(0, "f" + std::to_string(i) + ".cc");
  c.turn(0, 2000, 0);
  CHECK(c[0].pipeline.counters().leases_proposed == 2);
  CHECK(c[0].pipeline.leasing() == 2);
  c.turn(0, 2000, 1);
  CHECK(c[0].pipeline.counters().leases_proposed == 4);
  c.turn(0, 2000, 2);
  CHECK(c[0].pipeline.counters().leases_proposed == 5);
  c.settle();
  CHECK(jobs_in(c[0].pushed).size() == 5);
}

TEST_CASE(
    "a lease carries at most dispatch_batch_dependencies_max dependencies",
    "[pipeline]") {
  LeaderPipeline::Settings s = settings_for("");
  s.dispatch_batch_dependencies_max = 4;
  Cluster c(1, s);
  c.elect_other_than(std::nullopt);
  // Three directories of three files each, the files' contexts stored.
  for (int d = 0; d < 3; ++d) {
    const std::string dir = "d" + std::to_string(d);
    std::vector<std::string> files;
    for (const char* f : {"/a.cc", "/b.cc", "/c.cc"}) {
      Context context;
      context.address = address(dir + f);
      context.summary = "a file";
      c.propose(0, state::CommandKind::update_context,
                encode_record(state::UpdateContextCommand{
                    context, "alice", 1000, std::string("developer")}));
      files.push_back(context.address);
    }
    c.settle();
    c.enqueue(0, dir, files);
  }
  c.turn(0, 2000, 0);
  // 3 + 3 would be over 4: one directory per lease.
  CHECK(c[0].pipeline.counters().leases_proposed == 3);
  CHECK(c[0].pipeline.leasing() == 3);
  c.settle();
  CHECK(jobs_in(c[0].pushed).size() == 3);
  for (const JobBatch& batch : c[0].pushed) CHECK(batch.jobs.size() == 1);
}

TEST_CASE("each fault changes the behaviour it names", "[pipeline]") {
  Cluster c(1);
  c.elect_other_than(std::nullopt);

  SECTION("ignore_dependencies pushes a waiting job") {
    c[0].pipeline.inject_fault_for_testing(Fault::ignore_dependencies);
    const std::uint64_t a = c.enqueue(0, "a.cc");
    const std::uint64_t w = c.enqueue(0, "w.cc", {address("a.cc")});
    REQUIRE(c[0].machine.job(w)->state == state::JobState::waiting);
    auto batches = c.turn(0, 2000, 0);
    CHECK(jobs_in(batches) ==
          std::vector<std::pair<std::uint64_t, std::uint64_t>>{{w, 1}});
    c.settle();
    CHECK(jobs_in(c[0].pushed) ==
          std::vector<std::pair<std::uint64_t, std::uint64_t>>{{a, 1}});
  }
  SECTION("without it, a waiting job is not pushed") {
    c.enqueue(0, "a.cc");
    c.enqueue(0, "w.cc", {address("a.cc")});
    CHECK(c.turn(0, 2000, 0).empty());
    c.settle();
    CHECK(jobs_in(c[0].pushed).size() == 1);
  }
  SECTION("store_twice stores a result a second time") {
    c[0].pipeline.inject_fault_for_testing(Fault::store_twice);
    const std::uint64_t a = c.enqueue(0, "a.cc");
    c.turn(0, 2000, 0);
    c.settle();
    auto verdict = c.results(
        0, ResultBatch{"w1", {done(a, 1, c[0].raft->term(), "a.cc")}}, 2050);
    CHECK(verdict.commands_proposed == 2);
    c.settle();
    CHECK(c[0].machine.context(address("a.cc"))->version == 2);
  }
  SECTION("no_lease_expiry leaves an expired lease alone") {
    c[0].pipeline.inject_fault_for_testing(Fault::no_lease_expiry);
    const std::uint64_t a = c.enqueue(0, "a.cc");
    c.turn(0, 2000, 0);
    c.settle();
    c.turn(0, 5000, 1000);
    c.settle();
    CHECK(c[0].pipeline.counters().lease_expiries == 0);
    CHECK(c[0].machine.job(a)->state == state::JobState::active);
  }
}

TEST_CASE("a passed deadline is expired by one proposal at a time",
          "[pipeline]") {
  Cluster c(1);
  c.elect_other_than(std::nullopt);
  state::EnqueueCommand e;
  e.request_id = "late";
  e.requester = "alice";
  e.role = "developer";
  e.address = address("late.cc");
  e.time_ms = 1000;
  e.deadline_ms = 1500;
  c.propose(0, state::CommandKind::enqueue, encode_record(e));
  c.settle();
  const std::uint64_t before = c[0].raft->last_index();
  c.turn(0, 2000, 0, /*can_push=*/false);
  c.turn(0, 2000, 1000, /*can_push=*/false);  // in flight: no second one
  CHECK(c[0].raft->last_index() == before + 1);
  c.settle();
  CHECK(c[0].machine.job(1)->state == state::JobState::failed);
}

}  // namespace
}  // namespace slurp::node
