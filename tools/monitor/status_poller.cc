#include "tools/monitor/status_poller.h"

#include "src/client/cluster_call.h"

namespace slurp::monitor {
namespace {

// Per node: a status answer normally takes a few ms; a node that is down
// costs the connect timeout, one that holds the request (no leader yet)
// the call timeout, and the next node is asked.
constexpr std::chrono::milliseconds call_timeout_per_node{1500};
constexpr std::chrono::milliseconds connect_timeout_per_node{500};

}  // namespace

StatusPoller::StatusPoller(zmq::context_t& context,
                           const client::ToolConfig& tool,
                           std::optional<std::string> node,
                           std::chrono::milliseconds interval)
    : context_(context),
      tool_(tool),
      node_(std::move(node)),
      interval_(interval),
      thread_([this](std::stop_token stop) { run(stop); }) {}

StatusPoller::~StatusPoller() {
  thread_.request_stop();
  wake_.notify_all();
}

std::optional<StatusSample> StatusPoller::take() {
  std::lock_guard lock(mutex_);
  std::optional<StatusSample> sample = std::move(newest_);
  newest_.reset();
  return sample;
}

void StatusPoller::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    const auto next = std::chrono::steady_clock::now() + interval_;
    StatusSample sample = poll_once();
    std::unique_lock lock(mutex_);
    newest_ = std::move(sample);
    // Returns early (true) when a stop is requested.
    wake_.wait_until(lock, stop, next, [] { return false; });
  }
}

StatusSample StatusPoller::poll_once() {
  client::ClusterCallOptions options;
  options.node = node_;
  options.timeout_per_node = call_timeout_per_node;
  options.connect_timeout_per_node = connect_timeout_per_node;
  StatusSample sample;
  auto answer = client::call_cluster(context_, tool_, StatusRequest{}, options);
  sample.at = std::chrono::steady_clock::now();
  if (!answer) {
    sample.error = answer.error().describe();
    return sample;
  }
  if (auto* status = std::get_if<StatusReply>(&answer->reply)) {
    sample.answered_by = status->node;
    sample.reply = std::move(*status);
  } else if (auto* error = std::get_if<ErrorReply>(&answer->reply)) {
    sample.error = error->name + ": " + error->message;
  } else {
    sample.error =
        "unexpected reply '" + std::string(message_type(answer->reply)) + "'";
  }
  return sample;
}

}  // namespace slurp::monitor
