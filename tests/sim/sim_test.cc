// Unit tests of the simulator's parts, and its determinism: one seed, one
// trace hash.
#include <catch2/catch.hpp>

#include "src/storage/memory_storage.h"
#include "tests/sim/log_state_machine.h"
#include "tests/sim/network.h"
#include "tests/sim/scenario.h"
#include "tests/sim/shadow_log.h"
#include "tests/sim/sweep.h"

namespace slurp::sim {
namespace {

RunOptions short_run(std::uint64_t seed) {
  RunOptions options;
  options.seed = seed;
  options.safety_us = 3'000 * kMicrosPerMs;
  options.failovers = 1;
  return options;
}

LogEntry entry(std::uint64_t index, std::uint64_t term, std::string text) {
  return LogEntry{index, term, kClientCommandKind,
                  Bytes(text.begin(), text.end())};
}

}  // namespace

TEST_CASE("one seed replays to the same trace hash", "[sim]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    RunResult first = run_seed(short_run(seed));
    RunResult second = run_seed(short_run(seed));
    CHECK(first.ok());
    CHECK(first.summary.events > 1000);
    CHECK(first.trace_hash == second.trace_hash);
    CHECK(first.summary.events == second.summary.events);
  }
}

TEST_CASE("different seeds take different paths", "[sim]") {
  CHECK(run_seed(short_run(11)).trace_hash !=
        run_seed(short_run(12)).trace_hash);
}

TEST_CASE("5-node runs keep safety and liveness", "[sim]") {
  RunOptions options = short_run(5);
  options.nodes = 5;
  RunResult r = run_seed(options);
  INFO((r.violation ? r.violation->what : r.liveness_failure.value_or("")));
  CHECK(r.ok());
  CHECK(r.failover_ms.size() == 1);
}

TEST_CASE("the network drops, duplicates, clogs and cuts", "[sim][network]") {
  Prng prng(7);
  Network network(3);
  LinkProfile lossy;
  lossy.drop_probability = 1.0;
  network.set_profile(0, 1, lossy);
  CHECK(network.send(0, 1, 0, prng).empty());

  LinkProfile doubled;
  doubled.duplicate_probability = 1.0;
  network.set_profile(0, 2, doubled);
  CHECK(network.send(0, 2, 0, prng).size() == 2);

  network.clog(1, 2, 50'000);
  std::vector<Micros> held = network.send(1, 2, 0, prng);
  REQUIRE(held.size() == 1);
  CHECK(held[0] >= 50'000);

  network.cut(1, 2);
  CHECK_FALSE(network.arrive(1, 2));  // cut while on the wire
  CHECK_FALSE(network.is_cut(2, 1));  // one way only
  network.uncut_all();
  CHECK(network.arrive(0, 2));
}

TEST_CASE("a link over capacity drops", "[sim][network]") {
  Prng prng(1);
  Network network(2);
  LinkProfile small;
  small.capacity_packets = 2;
  network.set_profile(0, 1, small);
  CHECK(network.send(0, 1, 0, prng).size() == 1);
  CHECK(network.send(0, 1, 0, prng).size() == 1);
  CHECK(network.send(0, 1, 0, prng).empty());
  CHECK(network.counters().dropped_overflow == 1);
  CHECK(network.arrive(0, 1));
  CHECK(network.send(0, 1, 0, prng).size() == 1);
}

TEST_CASE("the state machine round-trips and rejects damage", "[sim]") {
  LogStateMachine machine;
  machine.apply(entry(1, 1, "a"));
  machine.apply(entry(2, 3, "bc"));
  Bytes bytes = machine.serialize();
  auto copy = LogStateMachine::deserialize(bytes);
  REQUIRE(copy);
  CHECK(copy->hash() == machine.hash());
  CHECK(copy->applied_term() == 3);
  CHECK(copy->at(2).data == machine.at(2).data);

  bytes[bytes.size() - 1] ^= 1;  // the last command's data
  CHECK_FALSE(LogStateMachine::deserialize(bytes));
  bytes.pop_back();
  CHECK_FALSE(LogStateMachine::deserialize(bytes));
}

TEST_CASE("the shadow log follows the core's view of the log", "[sim]") {
  // The checker relies on the mirror agreeing with the log the core keeps
  // and, after a restart, with what storage recovers.
  storage::MemoryStorage storage;
  ShadowLog shadow;
  auto write = [&](std::vector<LogEntry> entries,
                   std::optional<consensus::Snapshot> snapshot) {
    REQUIRE(storage.write(std::nullopt, entries, snapshot));
    REQUIRE(storage.sync());
    shadow.write(entries,
                 snapshot ? std::optional(snapshot->meta) : std::nullopt);
  };
  write({entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 2, "c")}, {});
  write({entry(3, 3, "d"), entry(4, 3, "e")}, {});  // truncates at 3
  CHECK(shadow.term_at(3) == 3);
  shadow.compact({2, 1});
  REQUIRE(storage.compact(2, consensus::Snapshot{{2, 1}, {}}));
  CHECK(shadow.snapshot_index() == 2);
  CHECK(shadow.last_index() == 4);             // compaction keeps the rest
  write({}, consensus::Snapshot{{6, 5}, {}});  // from a leader: all goes
  CHECK(shadow.last_index() == 6);
  write({entry(7, 5, "f")}, {});

  storage.restart();
  auto loaded = storage.load();
  REQUIRE(loaded);
  ShadowLog recovered;
  recovered.reset(*loaded);
  CHECK(recovered.snapshot_index() == shadow.snapshot_index());
  CHECK(recovered.last_index() == shadow.last_index());
  CHECK(recovered.at(7) == shadow.at(7));
}

TEST_CASE("percentiles use the nearest rank", "[sim]") {
  std::vector<double> samples;
  for (int i = 1; i <= 100; ++i) samples.push_back(i);
  Percentiles p = percentiles(samples);
  CHECK(p.p50 == 50);
  CHECK(p.p99 == 99);
  CHECK(p.max == 100);
  CHECK(percentiles({}).samples == 0);
}

TEST_CASE("replay commands name every non-default option", "[sim]") {
  RunOptions options;
  options.seed = 42;
  options.nodes = 5;
  options.fault = consensus::Raft::Fault::double_vote;
  CHECK(replay_command(options) ==
        "slurp-sim --seed 42 --nodes 5 --fault double_vote");
}

}  // namespace slurp::sim
