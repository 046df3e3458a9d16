#include "tools/bench/status_sampler.h"

#include <algorithm>

#include "src/client/client.h"
#include "tools/bench/report.h"

namespace slurp::bench {
namespace {

// A node that does not answer within this is counted unanswered: a
// sample must not hold up the next one for long.
constexpr std::chrono::milliseconds status_timeout{1000};

}  // namespace

StatusSampler::StatusSampler(zmq::context_t& context, client::ToolConfig tool,
                             std::string label,
                             std::chrono::milliseconds interval,
                             std::chrono::seconds report_every)
    : context_(context),
      tool_(std::move(tool)),
      label_(std::move(label)),
      interval_(interval),
      report_every_(report_every) {}

StatusSampler::~StatusSampler() {
  stop();
}

void StatusSampler::start() {
  stop_.store(false);
  thread_ = std::thread([this] { run(); });
}

void StatusSampler::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void StatusSampler::reset_peaks() {
  std::lock_guard lock(mutex_);
  for (auto& [node, s] : samples_) s.loop_turn_recent_max_ms_peak = 0;
}

std::map<std::string, NodeSamples> StatusSampler::samples() const {
  std::lock_guard lock(mutex_);
  return samples_;
}

void StatusSampler::run() {
  // The sockets are this thread's: made and closed here.
  struct CloseOnExit {
    std::map<std::string, std::unique_ptr<client::Client>>& clients;
    ~CloseOnExit() { clients.clear(); }
  } close_on_exit{clients_};
  auto next_report = std::chrono::steady_clock::now() + report_every_;
  while (!stop_.load()) {
    const auto started = std::chrono::steady_clock::now();
    sample_once();
    if (started >= next_report) {
      report();
      next_report = started + report_every_;
    }
    // Sleep in short steps, so stop() is prompt.
    const auto until = started + interval_;
    while (!stop_.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

// A connection per node, kept while it answers (a new one costs the node
// a CURVE handshake and an audit of the key); after a failure the next
// sample connects afresh, so a restarted node is reached without waiting
// out the old socket's reconnect back-off.
void StatusSampler::sample_once() {
  for (const client::NodeTarget& node : tool_.nodes) {
    std::unique_ptr<client::Client>& c = clients_[node.id];
    if (!c) {
      auto made = client::Client::connect(
          context_, tool_.client_options(node, status_timeout, status_timeout));
      if (made) c = std::move(*made);
    }
    std::optional<StatusReply> reply;
    if (c) {
      if (auto status = c->status(/*stale=*/true)) {
        reply = std::move(*status);
      } else {
        c.reset();
      }
    }
    std::lock_guard lock(mutex_);
    NodeSamples& s = samples_[node.id];
    if (!reply) {
      ++s.unanswered;
      continue;
    }
    ++s.answered;
    s.loop_turn_recent_max_ms_peak = std::max(s.loop_turn_recent_max_ms_peak,
                                              reply->loop_turn_recent_max_ms);
    s.latest = std::move(*reply);
  }
}

void StatusSampler::report() const {
  std::string line = label_ + ":";
  std::lock_guard lock(mutex_);
  for (const auto& [node, s] : samples_) {
    if (!s.latest) {
      line += " " + node + " (no answer)";
      continue;
    }
    line += " " + node + " commit " + std::to_string(s.latest->commit_index) +
            " term " + std::to_string(s.latest->term) + " turn " +
            std::to_string(s.latest->loop_turn_recent_max_ms) + " ms rss " +
            fixed(static_cast<double>(s.latest->rss_bytes) / 1048576.0, 0) +
            " MiB;";
  }
  progress(line);
}

}  // namespace slurp::bench
