// Asks every node for its own status (stale: each node answers for
// itself) every `interval` on a thread of its own, while the bench's main
// thread drives load, and keeps per node the largest
// loop_turn_recent_max_ms seen (the worst loop turn of the run, whatever
// happened between two samples: the window is longer than the interval),
// the latest answer, and how many polls went unanswered. Every
// `report_every` it prints one progress line with each node's commit
// index, loop turn and memory.
//
// Threads: construct, start(), stop() and read from one thread; the
// sampling runs on the thread start() makes, with its own sockets.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "protocol/messages.h"
#include "src/client/client.h"
#include "src/client/tool_config.h"

namespace slurp::bench {

struct NodeSamples {
  std::optional<StatusReply> latest;
  std::uint64_t loop_turn_recent_max_ms_peak = 0;
  std::uint64_t answered = 0;
  std::uint64_t unanswered = 0;
};

class StatusSampler {
 public:
  StatusSampler(zmq::context_t& context, client::ToolConfig tool,
                std::string label, std::chrono::milliseconds interval,
                std::chrono::seconds report_every);
  ~StatusSampler();
  StatusSampler(const StatusSampler&) = delete;
  StatusSampler& operator=(const StatusSampler&) = delete;

  void start();
  void stop();  // joins; safe to call twice
  // Forgets the peaks (not the latest answers): what follows is measured
  // on its own.
  void reset_peaks();
  std::map<std::string, NodeSamples> samples() const;

 private:
  void run();
  void sample_once();
  void report() const;

  zmq::context_t& context_;
  client::ToolConfig tool_;
  std::string label_;
  std::chrono::milliseconds interval_;
  std::chrono::seconds report_every_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  // The sampling thread's own: one client per node id.
  std::map<std::string, std::unique_ptr<client::Client>> clients_;
  mutable std::mutex mutex_;  // guards samples_
  std::map<std::string, NodeSamples> samples_;
};

}  // namespace slurp::bench
