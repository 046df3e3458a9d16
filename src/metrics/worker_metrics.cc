#include "src/metrics/worker_metrics.h"

#include "src/metrics/families.h"

namespace slurp::metrics {

std::vector<prometheus::MetricFamily> WorkerMetrics::Collect() const {
  auto n = [](const std::atomic<std::uint64_t>& v) {
    return static_cast<double>(v.load(std::memory_order_relaxed));
  };
  std::vector<prometheus::MetricFamily> out;
  out.push_back(counter("slurp_worker_batches_received_total",
                        "Job batches this worker took from a node.",
                        n(counters_.batches_received)));
  auto jobs =
      family("slurp_worker_jobs_total", "Jobs this worker ended, by outcome.",
             prometheus::MetricType::Counter);
  add_sample(jobs, n(counters_.jobs_done), {{"outcome", "done"}});
  add_sample(jobs, n(counters_.jobs_failed), {{"outcome", "failed"}});
  add_sample(jobs, n(counters_.jobs_cancelled), {{"outcome", "cancelled"}});
  add_sample(jobs, n(counters_.jobs_abandoned), {{"outcome", "abandoned"}});
  out.push_back(std::move(jobs));
  out.push_back(counter("slurp_worker_result_batches_sent_total",
                        "Result batches this worker sent to a node.",
                        n(counters_.result_batches_sent)));
  out.push_back(gauge("slurp_worker_nodes",
                      "Nodes this worker takes jobs from.",
                      static_cast<double>(nodes_)));
  for (auto& f : process_families()) out.push_back(std::move(f));
  return out;
}

HealthReport WorkerMetrics::health() const {
  HealthReport r;
  r.checks.push_back(
      {"worker", true,
       name_ + " serving " + std::to_string(nodes_) + " nodes, " +
           std::to_string(counters_.jobs_done.load()) + " jobs done"});
  return r;
}

}  // namespace slurp::metrics
