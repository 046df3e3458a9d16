// A worker: takes job batches from every node's jobs PUSH (only the leader
// sends), runs them through an engine on N threads, and pushes result
// batches to the nodes' results PULL (any node; a follower passes them to
// the leader). The protocol is PROTOCOL.md's "Workers" section; a worker
// in another language speaks the same.
//
// Flow control, by credit: the worker reads a batch only while fewer than
// backlog_jobs_max jobs wait or run here, and its PULL buffers at most a
// few batches, so a busy worker's pipe fills and the leader's PUSH (which
// skips full pipes) hands the next batch to another worker. Slow workers
// get less work without any message about it.
//
// Threads: run() on one thread (the I/O thread, which owns the sockets);
// it starts `concurrency` engine threads and joins them before returning.
// stop() may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "bus/curve_keys.h"
#include "protocol/messages.h"
#include "protocol/result.h"
#include "src/worker/engine.h"

namespace slurp::worker {

struct WorkerNode {
  std::string id;
  std::string jobs_endpoint;
  std::string results_endpoint;
  std::string public_key_z85;  // "" when insecure
};

struct WorkerOptions {
  std::string name;  // ResultBatch.worker: who did the work
  std::vector<WorkerNode> nodes;
  bus::CurveKeyPair keys;  // ours; role worker (or node, when embedded)
  bool insecure = false;
  std::size_t concurrency = 1;
  // Jobs held here (queued + running) before the worker stops reading.
  std::size_t backlog_jobs_max = 0;  // 0: 2 x concurrency, at least 64
};

struct WorkerCounters {
  std::atomic<std::uint64_t> batches_received{0};
  std::atomic<std::uint64_t> jobs_done{0};
  std::atomic<std::uint64_t> jobs_failed{0};
  std::atomic<std::uint64_t> result_batches_sent{0};
};

class Worker {
 public:
  Worker(zmq::context_t& context, WorkerOptions options,
         std::shared_ptr<Engine> engine);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Makes the sockets and connects them to every node.
  Status connect();
  // Serves until stop(); then finishes the jobs it holds (at most a
  // second) and returns.
  void run();
  void stop() { stop_.store(true); }
  const WorkerCounters& counters() const { return counters_; }

 private:
  struct Task {
    Job job;
    std::uint64_t term = 0;
  };
  void engine_loop();
  void take_jobs();
  void send_results(bool flush);

  zmq::context_t& context_;
  WorkerOptions options_;
  std::shared_ptr<Engine> engine_;
  zmq::socket_t jobs_, results_;
  std::atomic<bool> stop_{false};
  WorkerCounters counters_;

  std::mutex mutex_;  // guards tasks_, done_, held_, quit_
  std::condition_variable work_ready_;
  std::deque<Task> tasks_;
  std::vector<JobResult> done_;
  std::size_t held_ = 0;  // tasks queued or running
  bool quit_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace slurp::worker
