// The throughput line of --top: completions per second, one value per
// second for the last `seconds_max` seconds, drawn as a sparkline.
//
// The rates come from the cumulative `completed` counts of successive
// status replies (summed over priorities): replicated, so they survive a
// failover, and exact whatever events PUB dropped. A status answer
// normally arrives every second; when some were missed, the interval's
// average fills each second of it.
//
// Plain data; one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace slurp::monitor {

class Throughput {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t seconds_max = 60;

  // The cluster had completed `completed_total` jobs at `at`.
  void sample(Clock::time_point at, std::uint64_t completed_total);

  // Oldest first, at most seconds_max.
  const std::deque<double>& per_second() const { return rates_; }
  std::optional<double> latest() const;
  double peak() const;

 private:
  struct Point {
    Clock::time_point at;
    std::uint64_t total = 0;
  };
  std::optional<Point> last_;
  std::deque<double> rates_;
};

// `values` as `width` block elements (▁▂▃▄▅▆▇█), the newest at the right,
// scaled so the largest is a full block; 0 (and missing history on the
// left) is a space, any other value at least ▁.
std::string sparkline(const std::deque<double>& values, std::size_t width);

}  // namespace slurp::monitor
