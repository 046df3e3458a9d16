// Why a job's work should stop early: its job was cancelled (a
// `job.cancelled` event reached the worker), or the worker is stopping
// (SIGTERM). The worker owns the flags; engines only look at them between
// two steps of long work (a chunk of a file, a poll round of a command).
//
// Copyable view of two atomics that outlive it; any thread.
#pragma once

#include <atomic>

namespace slurp::worker {

class Interrupt {
 public:
  // Never fires (tests, tools that run an engine directly).
  Interrupt() = default;
  Interrupt(const std::atomic<bool>* cancelled,
            const std::atomic<bool>* stopping)
      : cancelled_(cancelled), stopping_(stopping) {}

  bool requested() const {
    return (cancelled_ != nullptr && cancelled_->load()) ||
           (stopping_ != nullptr && stopping_->load());
  }

 private:
  const std::atomic<bool>* cancelled_ = nullptr;
  const std::atomic<bool>* stopping_ = nullptr;
};

}  // namespace slurp::worker
