#include "src/node/turn_phases.h"

#include <fmt/format.h>

namespace slurp::node {
namespace {

constexpr std::array<const char*, static_cast<std::size_t>(TurnPhase::count)>
    kNames = {"sockets",      "pipeline", "persist", "apply",
              "store_commit", "snapshot", "trim"};

}  // namespace

std::string TurnPhases::describe(std::uint64_t turn_us) const {
  std::string out;
  std::uint64_t accounted = 0;
  for (std::size_t i = 0; i < us_.size(); ++i) {
    if (us_[i] == 0) continue;
    accounted += us_[i];
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {:.1f} ms", kNames[i],
                       static_cast<double>(us_[i]) / 1000.0);
  }
  if (turn_us > accounted) {
    if (!out.empty()) out += ", ";
    out += fmt::format("other {:.1f} ms",
                       static_cast<double>(turn_us - accounted) / 1000.0);
  }
  return out;
}

}  // namespace slurp::node
