// Small builders for prometheus::MetricFamily, for collectors that read
// their values at scrape time (node_metrics.h, worker_metrics.h), and what
// every slurp process exports about itself (resident memory, start time).
// Thread-safety: pure functions, any thread; process_families reads /proc.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "prometheus/metric_family.h"

namespace slurp::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

prometheus::MetricFamily family(std::string name, std::string help,
                                prometheus::MetricType type);
// Appends one sample of `family`'s type (counter, gauge) with `labels`.
void add_sample(prometheus::MetricFamily& family, double value,
                const Labels& labels = {});
prometheus::MetricFamily gauge(std::string name, std::string help,
                               double value);
prometheus::MetricFamily counter(std::string name, std::string help,
                                 double value);

// process_resident_memory_bytes and process_start_time_seconds, by the
// names every Prometheus client library uses for them.
std::vector<prometheus::MetricFamily> process_families();

}  // namespace slurp::metrics
