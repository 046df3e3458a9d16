#include "src/metrics/metrics_listener.h"

#include <CivetServer.h>
#include <civetweb.h>

#include <map>
#include <mutex>

#include "prometheus/exposer.h"
#include "src/clock/clocks.h"

namespace slurp::metrics {

namespace {

struct Checks {
  MetricsListener::Check live;
  MetricsListener::Check ready;
};

// civetweb's begin_request is a plain function pointer: it finds the
// checks of the listener a request reached by the port it arrived on.
// Written at start and stop, read by HTTP threads; one lock for both.
std::mutex checks_mutex;
std::map<int, Checks> checks_by_port;

int answer(mg_connection* conn, const HealthReport& report) {
  const std::string body = report.body();
  const int status = report.ok() ? 200 : 503;
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Cache-Control: no-store\r\nContent-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            status, status == 200 ? "OK" : "Service Unavailable", body.size());
  mg_write(conn, body.data(), body.size());
  return status;
}

// Serves /healthz and /readyz; 0 hands anything else to the Exposer
// (/metrics) or civetweb (404).
int begin_request(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  if (info == nullptr || info->local_uri == nullptr) return 0;
  const std::string_view uri(info->local_uri);
  if (uri != "/healthz" && uri != "/readyz") return 0;
  Checks checks;
  {
    std::lock_guard lock(checks_mutex);
    auto it = checks_by_port.find(info->server_port);
    if (it == checks_by_port.end()) return 0;
    checks = it->second;
  }
  const std::uint64_t now = steady_now_ms();
  return answer(conn, uri == "/healthz" ? checks.live(now) : checks.ready(now));
}

}  // namespace

Result<std::unique_ptr<MetricsListener>> MetricsListener::start(
    const config::ListenAddress& address,
    std::shared_ptr<prometheus::Collectable> metrics, Check live, Check ready) {
  std::unique_ptr<MetricsListener> listener(new MetricsListener());
  listener->metrics_ = std::move(metrics);
  // civetweb copies the callbacks when it starts.
  CivetCallbacks callbacks;
  callbacks.begin_request = begin_request;
  try {
    // Two threads: a scrape and a probe at once; more would only queue.
    listener->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", address.text(),
                                 "num_threads", "2", "request_timeout_ms",
                                 "10000"},
        &callbacks);
  } catch (const std::exception& e) {
    return make_error(
        ErrorCode::unavailable,
        "cannot listen on " + address.text() +
            " (in use, or not an address of this host): " + e.what(),
        "metrics_listen");
  }
  const std::vector<int> ports = listener->exposer_->GetListeningPorts();
  listener->port_ = ports.empty() ? address.port : ports.front();
  {
    std::lock_guard lock(checks_mutex);
    checks_by_port[listener->port_] = Checks{std::move(live), std::move(ready)};
  }
  listener->exposer_->RegisterCollectable(listener->metrics_);
  return listener;
}

MetricsListener::~MetricsListener() {
  exposer_.reset();  // joins the HTTP threads
  std::lock_guard lock(checks_mutex);
  checks_by_port.erase(port_);
}

}  // namespace slurp::metrics
