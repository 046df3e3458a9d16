// A slurp-worker's Prometheus metrics, read at scrape time from the
// worker's own atomic counters (worker/worker.h), so the engine threads
// never wait on HTTP. docs/METRICS.md lists them.
// Thread-safety: Collect and the checks on HTTP threads; `counters` must
// outlive the metrics listener that serves this.
#pragma once

#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "src/metrics/health.h"
#include "src/worker/worker.h"

namespace slurp::metrics {

class WorkerMetrics final : public prometheus::Collectable {
 public:
  WorkerMetrics(std::string name, std::size_t nodes,
                const worker::WorkerCounters& counters)
      : name_(std::move(name)), nodes_(nodes), counters_(counters) {}

  std::vector<prometheus::MetricFamily> Collect() const override;
  // Alive and ready while the process serves: a worker holds no state
  // that could make it unready, and its nodes are reached lazily.
  HealthReport health() const;

 private:
  const std::string name_;
  const std::size_t nodes_;
  const worker::WorkerCounters& counters_;
};

}  // namespace slurp::metrics
