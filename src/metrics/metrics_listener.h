// The HTTP listener of a slurp process: Prometheus text format on /metrics
// (prometheus-cpp's pull Exposer, civetweb underneath), and /healthz and
// /readyz answered from the process's checks: 200 and "ok" or 503 and
// "fail", then one line per check with its reason (health.h). Any other
// path is 404. Plain HTTP: what it serves must hold no secrets, and the
// address is explicit in cluster.toml (docs/METRICS.md).
//
// Threads: civetweb's (two) serve requests and call the collectable and
// the checks; start() and the destructor on the owner's thread. The
// destructor stops the HTTP threads, so whatever they read must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "prometheus/collectable.h"
#include "protocol/result.h"
#include "src/config/listen_address.h"
#include "src/metrics/health.h"

namespace prometheus {
class Exposer;
}

namespace slurp::metrics {

class MetricsListener {
 public:
  // Called on HTTP threads with the steady clock's ms.
  using Check = std::function<HealthReport(std::uint64_t steady_now_ms)>;

  // Errors: unavailable (cannot listen there: the address is in use or not
  // this host's), with field "metrics_listen".
  static Result<std::unique_ptr<MetricsListener>> start(
      const config::ListenAddress& address,
      std::shared_ptr<prometheus::Collectable> metrics, Check live,
      Check ready);
  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  // The port it listens on.
  int port() const { return port_; }

 private:
  MetricsListener() = default;

  std::shared_ptr<prometheus::Collectable> metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace slurp::metrics
