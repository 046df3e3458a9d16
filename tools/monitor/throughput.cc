#include "tools/monitor/throughput.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

namespace slurp::monitor {

void Throughput::sample(Clock::time_point at, std::uint64_t completed_total) {
  const Point point{at, completed_total};
  if (!last_) {
    last_ = point;
    return;
  }
  const double seconds = std::chrono::duration<double>(at - last_->at).count();
  if (seconds <= 0) return;
  // A smaller total is another cluster (or a rebuilt one): no rate.
  const double done = completed_total >= last_->total
                          ? static_cast<double>(completed_total - last_->total)
                          : 0.0;
  const double rate = done / seconds;
  const auto slots =
      std::clamp<long>(std::lround(seconds), 1, static_cast<long>(seconds_max));
  for (long i = 0; i < slots; ++i) rates_.push_back(rate);
  while (rates_.size() > seconds_max) rates_.pop_front();
  last_ = point;
}

std::optional<double> Throughput::latest() const {
  if (rates_.empty()) return std::nullopt;
  return rates_.back();
}

double Throughput::peak() const {
  if (rates_.empty()) return 0.0;
  return *std::max_element(rates_.begin(), rates_.end());
}

std::string sparkline(const std::deque<double>& values, std::size_t width) {
  static constexpr std::array<std::string_view, 8> kBlocks{"▁", "▂", "▃", "▄",
                                                           "▅", "▆", "▇", "█"};
  const std::size_t shown = std::min(values.size(), width);
  std::string out(width - shown, ' ');
  const auto first = values.end() - static_cast<std::ptrdiff_t>(shown);
  const double top = shown == 0 ? 0.0 : *std::max_element(first, values.end());
  for (auto it = first; it != values.end(); ++it) {
    if (*it <= 0 || top <= 0) {
      out += ' ';
      continue;
    }
    const long level =
        std::clamp<long>(std::lround(std::ceil(*it / top * 8)), 1, 8);
    out += kBlocks[static_cast<std::size_t>(level - 1)];
  }
  return out;
}

}  // namespace slurp::monitor
