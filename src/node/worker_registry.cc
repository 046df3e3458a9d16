#include "src/node/worker_registry.h"

#include <algorithm>

#include "protocol/limits.h"

namespace slurp::node {

void WorkerRegistry::record(const std::string& worker, std::uint64_t completed,
                            std::uint64_t failed, std::uint64_t now_ms) {
  forget(now_ms);
  // A flood of made-up names must not grow the map without bound: past
  // twice the listed maximum, new names are counted in the rates only.
  auto it = seen_.find(worker);
  if (it != seen_.end() || seen_.size() < 2 * limits::status_workers_max) {
    Seen& s = seen_[worker];
    s.completed += completed;
    s.failed += failed;
    s.last_ms = now_ms;
  }
  const std::uint64_t second = now_ms / 1000;
  if (buckets_.empty() || buckets_.back().second != second) {
    buckets_.push_back(Bucket{second, 0, 0});
  }
  buckets_.back().completed += completed;
  buckets_.back().failed += failed;
}

void WorkerRegistry::forget(std::uint64_t now_ms) {
  std::erase_if(seen_, [&](const auto& entry) {
    return now_ms - entry.second.last_ms > limits::worker_forget_ms;
  });
  const std::uint64_t window_s = limits::status_rate_window_ms / 1000;
  while (!buckets_.empty() &&
         buckets_.front().second + window_s <= now_ms / 1000) {
    buckets_.pop_front();
  }
}

std::vector<WorkerStatus> WorkerRegistry::workers(std::uint64_t now_ms) const {
  std::vector<WorkerStatus> out;
  for (const auto& [name, s] : seen_) {
    if (now_ms - s.last_ms > limits::worker_forget_ms) continue;
    out.push_back(
        WorkerStatus{name, s.completed, s.failed, now_ms - s.last_ms});
  }
  std::sort(out.begin(), out.end(),
            [](const WorkerStatus& a, const WorkerStatus& b) {
              if (a.last_seen_ms_ago != b.last_seen_ms_ago) {
                return a.last_seen_ms_ago < b.last_seen_ms_ago;
              }
              return a.name < b.name;
            });
  if (out.size() > limits::status_workers_max) {
    out.resize(limits::status_workers_max);
  }
  return out;
}

// Results in the window's whole seconds before this one, plus the current
// second's so far, over the time they cover.
double WorkerRegistry::rate(std::uint64_t now_ms, bool completed) const {
  const std::uint64_t window_s = limits::status_rate_window_ms / 1000;
  std::uint64_t total = 0, first_second = 0;
  bool any = false;
  for (const Bucket& b : buckets_) {
    if (b.second + window_s <= now_ms / 1000) continue;  // too old
    if (!any) first_second = b.second;
    any = true;
    total += completed ? b.completed : b.failed;
  }
  if (!any) return 0.0;
  const std::uint64_t span_ms =
      std::max<std::uint64_t>(1000, now_ms - first_second * 1000);
  return static_cast<double>(total) * 1000.0 / static_cast<double>(span_ms);
}

double WorkerRegistry::completed_per_s(std::uint64_t now_ms) const {
  return rate(now_ms, true);
}
double WorkerRegistry::failed_per_s(std::uint64_t now_ms) const {
  return rate(now_ms, false);
}

}  // namespace slurp::node
