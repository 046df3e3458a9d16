#include "src/metrics/families.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

namespace slurp::metrics {

namespace {

// VmRSS from /proc/self/statm (pages); 0 where the OS does not say.
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  const long page = sysconf(_SC_PAGESIZE);
  return static_cast<double>(resident_pages) *
         static_cast<double>(page > 0 ? page : 4096);
}

// Set while the program's statics are initialized, before main().
const double process_start_seconds =
    static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());

}  // namespace

prometheus::MetricFamily family(std::string name, std::string help,
                                prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void add_sample(prometheus::MetricFamily& family, double value,
                const Labels& labels) {
  prometheus::ClientMetric m;
  for (const auto& [name, label_value] : labels) {
    m.label.push_back({name, label_value});
  }
  if (family.type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  family.metric.push_back(std::move(m));
}

prometheus::MetricFamily gauge(std::string name, std::string help,
                               double value) {
  auto f =
      family(std::move(name), std::move(help), prometheus::MetricType::Gauge);
  add_sample(f, value);
  return f;
}

prometheus::MetricFamily counter(std::string name, std::string help,
                                 double value) {
  auto f =
      family(std::move(name), std::move(help), prometheus::MetricType::Counter);
  add_sample(f, value);
  return f;
}

std::vector<prometheus::MetricFamily> process_families() {
  return {gauge("process_resident_memory_bytes",
                "Resident memory size in bytes.", resident_bytes()),
          gauge("process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                process_start_seconds)};
}

}  // namespace slurp::metrics
