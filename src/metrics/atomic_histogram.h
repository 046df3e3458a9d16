// A Prometheus histogram whose observe() takes no lock, so the node thread
// never waits on a scrape: prometheus::Histogram holds a mutex in both
// Observe and Collect. Counts and the sum are separate atomics, so a
// scrape that races an observe may see the count one ahead of the sum or a
// bucket; the next scrape is whole again (Prometheus tolerates this).
// Thread-safety: observe() and collect() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "prometheus/client_metric.h"

namespace slurp::metrics {

class AtomicHistogram {
 public:
  // `upper_bounds` ascending, in the metric's base unit (seconds, bytes);
  // the +Inf bucket is implicit.
  explicit AtomicHistogram(std::vector<double> upper_bounds)
      : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1) {}

  void observe(double value) {
    std::size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    double sum = sum_.load(std::memory_order_relaxed);
    // Only the one thread that observes a given histogram writes it, but a
    // CAS loop keeps this correct should a second one ever do.
    while (!sum_.compare_exchange_weak(sum, sum + value,
                                       std::memory_order_relaxed)) {
    }
  }

  prometheus::ClientMetric collect() const {
    prometheus::ClientMetric m;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      cumulative += counts_[i].load(std::memory_order_relaxed);
      prometheus::ClientMetric::Bucket b;
      b.cumulative_count = cumulative;
      b.upper_bound = i < bounds_.size()
                          ? bounds_[i]
                          : std::numeric_limits<double>::infinity();
      m.histogram.bucket.push_back(b);
    }
    m.histogram.sample_count = cumulative;
    m.histogram.sample_sum = sum_.load(std::memory_order_relaxed);
    return m;
  }

 private:
  const std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> counts_;
  std::atomic<double> sum_{0.0};
};

}  // namespace slurp::metrics
