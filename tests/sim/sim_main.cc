// slurp-sim: the deterministic cluster simulator (tests/sim/README.md).
//
//   slurp-sim --seed S [--nodes K] [--verbose]     one run, replayable
//   slurp-sim --seeds N [--start-seed S] [--nodes K]  a sweep
//
// Exit status 0 when every run kept every safety property and met every
// liveness bound; 1 otherwise (each failing seed is printed with the
// command that replays it); 2 for a bad command line.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "tests/sim/scenario.h"
#include "tests/sim/sweep.h"

namespace {

using slurp::sim::RunOptions;
using slurp::sim::RunResult;

void print_summary(const RunResult& r) {
  const slurp::sim::RunSummary& s = r.summary;
  std::printf(
      "simulated_ms=%llu events=%llu leaders_elected=%llu highest_term=%llu\n"
      "committed=%llu applied=%llu acknowledged=%llu client_attempts=%llu "
      "client_timeouts=%llu reads_served=%llu\n"
      "crashes=%llu torn_records_dropped=%llu compactions=%llu "
      "snapshots_restored=%llu inbox_dropped=%llu nemesis_actions=%llu\n"
      "packets sent=%llu dropped=%llu duplicated=%llu\n",
      static_cast<unsigned long long>(s.simulated_us / 1000),
      static_cast<unsigned long long>(s.events),
      static_cast<unsigned long long>(s.leaders_elected),
      static_cast<unsigned long long>(s.highest_term),
      static_cast<unsigned long long>(s.committed_index),
      static_cast<unsigned long long>(s.entries_applied),
      static_cast<unsigned long long>(s.acknowledged),
      static_cast<unsigned long long>(s.client_attempts),
      static_cast<unsigned long long>(s.client_timeouts),
      static_cast<unsigned long long>(s.reads_served),
      static_cast<unsigned long long>(s.crashes),
      static_cast<unsigned long long>(s.torn_records_dropped),
      static_cast<unsigned long long>(s.compactions),
      static_cast<unsigned long long>(s.snapshots_restored),
      static_cast<unsigned long long>(s.inbox_dropped),
      static_cast<unsigned long long>(s.nemesis_actions),
      static_cast<unsigned long long>(s.packets_sent),
      static_cast<unsigned long long>(s.packets_dropped),
      static_cast<unsigned long long>(s.packets_duplicated));
  const slurp::sim::PipelineCounters& p = s.pipeline;
  if (p.requests_acked + p.requests_refused > 0) {
    std::printf(
        "pipeline: acked=%llu refused=%llu client_retries=%llu leases=%llu "
        "pushes=%llu pushes_lost=%llu worker_crashes=%llu results=%llu "
        "results_lost=%llu forwarded=%llu completed=%llu dead_lettered=%llu "
        "deadline_failed=%llu cache_hits=%llu attached=%llu duplicates=%llu "
        "lease_expiries=%llu\n",
        static_cast<unsigned long long>(p.requests_acked),
        static_cast<unsigned long long>(p.requests_refused),
        static_cast<unsigned long long>(p.client_retries),
        static_cast<unsigned long long>(p.leases),
        static_cast<unsigned long long>(p.pushes),
        static_cast<unsigned long long>(p.pushes_lost),
        static_cast<unsigned long long>(p.worker_crashes),
        static_cast<unsigned long long>(p.results),
        static_cast<unsigned long long>(p.results_lost),
        static_cast<unsigned long long>(p.results_forwarded),
        static_cast<unsigned long long>(p.completed),
        static_cast<unsigned long long>(p.dead_lettered),
        static_cast<unsigned long long>(p.deadline_failed),
        static_cast<unsigned long long>(p.cache_hits),
        static_cast<unsigned long long>(p.attached),
        static_cast<unsigned long long>(p.duplicates),
        static_cast<unsigned long long>(p.lease_expiries));
  }
  if (r.liveness_ms) std::printf("liveness_ms=%.3f\n", *r.liveness_ms);
  for (double ms : r.failover_ms) std::printf("failover_ms=%.3f\n", ms);
}

int run_one(const RunOptions& options, const std::string& program) {
  RunResult r = slurp::sim::run_seed(options);
  std::printf("seed=%llu nodes=%zu trace_hash=%016llx\n",
              static_cast<unsigned long long>(r.seed), options.nodes,
              static_cast<unsigned long long>(r.trace_hash));
  print_summary(r);
  if (r.ok()) {
    std::printf("result: ok\n");
    return 0;
  }
  if (r.violation) {
    std::printf("result: VIOLATION at %llu.%03llu ms: %s\n",
                static_cast<unsigned long long>(r.violation->at_us / 1000),
                static_cast<unsigned long long>(r.violation->at_us % 1000),
                r.violation->what.c_str());
  } else {
    std::printf("result: LIVENESS FAILURE: %s\n", r.liveness_failure->c_str());
  }
  std::printf("replay: %s --verbose\n",
              slurp::sim::replay_command(options, program).c_str());
  return 1;
}

void print_percentiles(const char* name, const std::vector<double>& samples) {
  slurp::sim::Percentiles p = slurp::sim::percentiles(samples);
  std::printf("%s p50=%.1f p99=%.1f max=%.1f samples=%zu\n", name, p.p50, p.p99,
              p.max, p.samples);
}

int run_many(const slurp::sim::SweepOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  slurp::sim::SweepResult r = slurp::sim::run_sweep(options, std::cout);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  print_percentiles("failover_ms", r.failover_ms);
  print_percentiles("liveness_ms", r.liveness_ms);
  std::printf("wall_s=%.1f simulated_s=%.0f events=%llu\n", wall_s,
              static_cast<double>(r.simulated_us) / 1e6,
              static_cast<unsigned long long>(r.events));
  std::printf("seeds=%llu violations=%llu liveness_failures=%llu\n",
              static_cast<unsigned long long>(r.seeds),
              static_cast<unsigned long long>(r.violations),
              static_cast<unsigned long long>(r.liveness_failures));
  return r.violations + r.liveness_failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"slurp-sim: deterministic simulation of a slurp Raft cluster"};
  std::uint64_t seed = 0, seeds = 0, start_seed = 1, safety_ms = 20'000;
  std::size_t nodes = 3, failovers = 2;
  std::string fault = "none";
  bool verbose = false, stop_on_violation = false, pipeline = false;
  std::string pipeline_fault = "none";
  auto* seed_option = app.add_option(
      "--seed", seed, "run this one seed and print its trace hash");
  auto* seeds_option = app.add_option("--seeds", seeds, "sweep this many seeds")
                           ->excludes(seed_option);
  app.add_option("--start-seed", start_seed, "first seed of a sweep")
      ->needs(seeds_option)
      ->capture_default_str();
  app.add_option("--nodes", nodes, "cluster size")
      ->check(CLI::Range(3, 9))
      ->capture_default_str();
  app.add_option("--fault", fault,
                 "break the core on purpose (Raft::inject_fault_for_testing)")
      ->check(CLI::IsMember({"none", "double_vote", "commit_previous_term"}))
      ->capture_default_str();
  app.add_option("--safety-ms", safety_ms,
                 "simulated length of the safety phase")
      ->check(CLI::Range(0, 3'600'000))
      ->capture_default_str();
  app.add_option("--failovers", failovers, "leader-crash episodes per seed")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  app.add_flag("--pipeline", pipeline,
               "real state machine, job clients and workers (sim_pipeline.h)");
  app.add_option("--pipeline-fault", pipeline_fault,
                 "break the pipeline on purpose (implies --pipeline)")
      ->check(CLI::IsMember(
          {"none", "ignore_dependencies", "store_twice", "no_lease_expiry"}))
      ->capture_default_str();
  app.add_flag("--verbose", verbose, "print the event trace")
      ->needs(seed_option);
  app.add_flag("--stop-on-violation", stop_on_violation,
               "end a sweep at the first safety violation")
      ->needs(seeds_option);
  CLI11_PARSE(app, argc, argv);
  if (seed_option->count() + seeds_option->count() != 1) {
    std::cerr << "give --seed S or --seeds N\n" << app.help();
    return 2;
  }
  RunOptions run;
  run.nodes = nodes;
  run.fault = *slurp::sim::fault_from_name(fault);
  run.safety_us = safety_ms * slurp::sim::kMicrosPerMs;
  run.failovers = failovers;
  run.pipeline_fault = *slurp::sim::pipeline_fault_from_name(pipeline_fault);
  run.pipeline =
      pipeline || run.pipeline_fault != slurp::sim::PipelineFault::none;
  if (seed_option->count() > 0) {
    run.seed = seed;
    run.verbose = verbose ? &std::cout : nullptr;
    return run_one(run, argv[0]);
  }
  slurp::sim::SweepOptions sweep{run, start_seed, seeds, stop_on_violation,
                                 argv[0]};
  return run_many(sweep);
}
