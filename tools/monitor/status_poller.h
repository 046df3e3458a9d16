// --top asks the cluster for its status once per interval (call_cluster:
// any node, following not_leader hints to the leader) on a thread of its
// own, so a slow or dead node never freezes the screen or the event
// stream; the main thread takes the newest answer when it redraws.
//
// Threads: construct, take() and destroy on one thread; the polling
// thread uses only its own sockets (on the shared, thread-safe context)
// and the ToolConfig, which must outlive the poller and not change.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "protocol/messages.h"
#include "src/client/tool_config.h"

namespace slurp::monitor {

struct StatusSample {
  std::chrono::steady_clock::time_point at;
  std::optional<StatusReply> reply;  // nullopt: no node answered
  std::string answered_by;           // node id of the answer
  std::string error;                 // why there is no reply
};

class StatusPoller {
 public:
  // `node`: ask only that node (and the leader it names); nullopt: any.
  StatusPoller(zmq::context_t& context, const client::ToolConfig& tool,
               std::optional<std::string> node,
               std::chrono::milliseconds interval);
  ~StatusPoller();  // stops the thread and waits for it
  StatusPoller(const StatusPoller&) = delete;
  StatusPoller& operator=(const StatusPoller&) = delete;

  // The newest sample not taken yet.
  std::optional<StatusSample> take();

 private:
  void run(std::stop_token stop);
  StatusSample poll_once();

  zmq::context_t& context_;
  const client::ToolConfig& tool_;
  std::optional<std::string> node_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::optional<StatusSample> newest_;  // guarded by mutex_
  std::jthread thread_;                 // last: starts once the rest exists
};

}  // namespace slurp::monitor
