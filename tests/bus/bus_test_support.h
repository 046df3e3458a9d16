// Helpers shared by the bus tests: temporary directories, an audit-callback
// recorder that tests can wait on, and poll-driven waits for messages. Every
// wait has a deadline and wakes on the event itself, never on a sleep.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "bus/poll.h"
#include "bus/received_message.h"
#include "bus/zap_authenticator.h"
#include "tests/support/temp_dir.h"

namespace slurp::bus::testing {

inline constexpr int deadline_ms = 5000;

using slurp::testing::TempDir;

inline void write_text(const std::filesystem::path& path,
                       const std::string& text, mode_t mode = 0644) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ::chmod(path.c_str(), mode);
}

// Records audit callbacks (called on the authenticator's thread).
class AuditLog {
 public:
  AuditCallback callback() {
    return [this](const AuthDecision& decision) {
      std::lock_guard lock(mutex_);
      decisions_.push_back(decision);
      changed_.notify_all();
    };
  }

  // Waits until some recorded decision satisfies `predicate`.
  bool wait_for(const std::function<bool(const AuthDecision&)>& predicate,
                int timeout_ms = deadline_ms) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
      for (const AuthDecision& decision : decisions_) {
        if (predicate(decision)) return true;
      }
      return false;
    });
  }

  std::vector<AuthDecision> decisions() {
    std::lock_guard lock(mutex_);
    return decisions_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<AuthDecision> decisions_;
};

// Polls `socket` until a message is ready, then receives it.
inline std::optional<Result<ReceivedMessage>> wait_for_message(
    zmq::socket_t& socket, std::size_t frames_max = 4,
    int timeout_ms = deadline_ms) {
  zmq_pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (auto message = receive_message(socket, frames_max)) return message;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    poll_items({&item, 1}, left);
  }
}

inline std::string frame_text(const zmq::message_t& frame) {
  return frame.to_string();
}

}  // namespace slurp::bus::testing
