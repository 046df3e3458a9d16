// What /healthz and /readyz answer: a verdict and one line per check, so
// an operator (or `slurpctl health`) sees why, not only that.
// Plain data; any thread.
#pragma once

#include <string>
#include <vector>

namespace slurp::metrics {

struct HealthCheck {
  std::string name;  // "loop", "leader", "applied", ...
  bool ok = false;
  std::string detail;  // "turned 3 ms ago", "n2 in term 4", ...
};

struct HealthReport {
  std::vector<HealthCheck> checks;

  bool ok() const {
    for (const HealthCheck& c : checks) {
      if (!c.ok) return false;
    }
    return true;
  }
  // "ok\n" or "fail\n", then "ok   loop: turned 3 ms ago" per check.
  std::string body() const {
    std::string out = ok() ? "ok\n" : "fail\n";
    for (const HealthCheck& c : checks) {
      out += (c.ok ? "ok   " : "FAIL ") + c.name + ": " + c.detail + "\n";
    }
    return out;
  }
};

}  // namespace slurp::metrics
