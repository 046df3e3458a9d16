// A sweep: many seeds run one after another, their failures and timings
// gathered for the report slurp-sim prints.
//
// Threads: any; a sweep touches nothing outside itself.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "tests/sim/scenario.h"

namespace slurp::sim {

struct SweepOptions {
  RunOptions run;  // run.seed is ignored: seeds start_seed .. +count-1
  std::uint64_t start_seed = 1;
  std::uint64_t count = 100;
  bool stop_on_violation = false;
  std::string program = "slurp-sim";  // for the replay commands printed
};

struct Percentiles {
  std::size_t samples = 0;
  double p50 = 0, p99 = 0, max = 0;
};

// Nearest-rank percentiles (the smallest sample with at least p of all
// samples at or below it).
Percentiles percentiles(std::vector<double> samples);

struct SweepResult {
  std::uint64_t seeds = 0;  // run (fewer than asked if stopped early)
  std::uint64_t violations = 0;
  std::uint64_t liveness_failures = 0;
  std::vector<double> failover_ms;
  std::vector<double> liveness_ms;
  Micros simulated_us = 0;
  std::uint64_t events = 0;
};

// Runs the sweep, writing one block per failing seed to `out` as it goes
// (the seed, what broke and the command that replays it).
SweepResult run_sweep(const SweepOptions& options, std::ostream& out);

}  // namespace slurp::sim
