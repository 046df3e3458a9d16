#include "tests/sim/sweep.h"

#include <algorithm>
#include <cmath>
#include <string_view>

namespace slurp::sim {

Percentiles percentiles(std::vector<double> samples) {
  Percentiles p;
  p.samples = samples.size();
  if (samples.empty()) return p;
  std::sort(samples.begin(), samples.end());
  auto rank = [&](double q) {
    const double n = static_cast<double>(samples.size());
    std::size_t k = static_cast<std::size_t>(std::ceil(q * n));
    return samples[std::clamp<std::size_t>(k, 1, samples.size()) - 1];
  };
  p.p50 = rank(0.50);
  p.p99 = rank(0.99);
  p.max = samples.back();
  return p;
}

namespace {

void report_failure(const RunOptions& run, const RunResult& result,
                    std::string_view program, std::ostream& out) {
  out << "FAIL seed=" << result.seed << ' ';
  if (result.violation) {
    out << "violation at " << result.violation->at_us / kMicrosPerMs
        << " ms: " << result.violation->what << '\n';
  } else {
    out << "liveness failure: " << *result.liveness_failure << '\n';
  }
  out << "  replay: " << replay_command(run, program) << '\n' << std::flush;
}

}  // namespace

SweepResult run_sweep(const SweepOptions& options, std::ostream& out) {
  SweepResult sweep;
  for (std::uint64_t i = 0; i < options.count; ++i) {
    RunOptions run = options.run;
    run.seed = options.start_seed + i;
    run.verbose = nullptr;
    RunResult result = run_seed(run);
    ++sweep.seeds;
    sweep.simulated_us += result.summary.simulated_us;
    sweep.events += result.summary.events;
    sweep.failover_ms.insert(sweep.failover_ms.end(),
                             result.failover_ms.begin(),
                             result.failover_ms.end());
    if (result.liveness_ms) sweep.liveness_ms.push_back(*result.liveness_ms);
    if (result.ok()) continue;
    report_failure(run, result, options.program, out);
    if (result.violation) {
      ++sweep.violations;
      if (options.stop_on_violation) break;
    } else {
      ++sweep.liveness_failures;
    }
  }
  return sweep;
}

}  // namespace slurp::sim
