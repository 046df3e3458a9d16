// slurpctl health: every configured node's /healthz and /readyz (and each
// [[workers]] entry's that has a metrics_listen), over plain HTTP, with
// the reasons the node gives (src/metrics/health.h).
#include <iostream>

#include "src/client/http_get.h"
#include "src/client/json_writer.h"
#include "tools/slurpctl/commands.h"
#include "tools/slurpctl/table.h"

namespace slurpctl {

namespace {

struct Probe {
  Probe(std::string n, std::string a)
      : name(std::move(n)), address(std::move(a)) {}
  std::string name, address;
  std::string live = "-", ready = "-";  // "ok", "fail", "unreachable"
  std::string reasons;                  // the readyz body, else healthz's
};

std::string verdict(const slurp::Result<slurp::client::HttpAnswer>& a) {
  if (!a) return "unreachable";
  return a->status == 200 ? "ok" : "fail (" + std::to_string(a->status) + ")";
}

void probe(Probe& p, std::chrono::milliseconds timeout) {
  if (p.address.empty()) {
    p.reasons = "no metrics_listen in the config\n";
    return;
  }
  auto live = slurp::client::http_get(p.address, "/healthz", timeout);
  auto ready = slurp::client::http_get(p.address, "/readyz", timeout);
  p.live = verdict(live);
  p.ready = verdict(ready);
  if (ready) {
    p.reasons = ready->body;
  } else if (live) {
    p.reasons = live->body;
  } else {
    p.reasons = ready.error().reason + "\n";
  }
}

}  // namespace

int run_health(const Flags& f) {
  auto tool = load_target(f);
  if (!tool) return fail(tool.error(), exit_usage);
  std::vector<Probe> probes;
  for (const auto& node : tool->nodes) {
    auto address = tool->node_metrics_address.find(node.id);
    probes.emplace_back(node.id, address == tool->node_metrics_address.end()
                                     ? std::string()
                                     : address->second);
  }
  for (const auto& [id, listen] : tool->worker_metrics_listen) {
    probes.emplace_back(id, listen);
  }
  int answered = 0, unready = 0;
  for (Probe& p : probes) {
    probe(p, std::chrono::milliseconds(f.timeout_ms));
    if (p.live != "unreachable" && p.live != "-") ++answered;
    if (p.ready != "ok") ++unready;
  }
  if (f.json) {
    slurp::client::JsonWriter w;
    w.begin_array();
    for (const Probe& p : probes) {
      w.begin_object().key("name").value(p.name);
      w.key("address").value(p.address).key("healthz").value(p.live);
      w.key("readyz").value(p.ready).key("reasons").value(p.reasons);
      w.end_object();
    }
    w.end_array();
    std::cout << w.str() << "\n";
  } else {
    for (const Probe& p : probes) {
      std::cout << p.name << "  " << (p.address.empty() ? "-" : p.address)
                << "  healthz " << p.live << "  readyz " << p.ready << "\n";
      std::string line;
      for (char c : p.reasons) {
        if (c != '\n') {
          line += c;
          continue;
        }
        if (line != "ok" && line != "fail") std::cout << "    " << line << "\n";
        line.clear();
      }
    }
  }
  if (answered == 0) return exit_unreachable;
  return unready == 0 ? exit_ok : exit_refused;
}

}  // namespace slurpctl
