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
// CPU priority: run() lowers its own thread's priority by
// WorkerOptions::nice_increment before it starts the engine threads, and
// each engine thread (named "slurp-engine") sets the same, so that an
// engine busy on every core cannot starve the node loops beside it of
// the CPU their heartbeats need. With `slurpd --workers N` that is
// relative to the node's own thread (thread_priority.h).
//
// Threads: run() on one thread (the I/O thread, which owns the sockets);
// it starts `concurrency` engine threads and joins them before returning.
// stop() may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
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
  // Where the node publishes events: the worker hears `job.cancelled`
  // (and `job.failed` at a deadline) there. "": not subscribed.
  std::string events_endpoint;
};

struct WorkerOptions {
  std::string name;  // ResultBatch.worker: who did the work
  std::vector<WorkerNode> nodes;
  bus::CurveKeyPair keys;  // ours; role worker (or node, when embedded)
  bool insecure = false;
  std::size_t concurrency = 1;
  // Jobs held here (queued + running) before the worker stops reading.
  std::size_t backlog_jobs_max = 0;  // 0: 2 x concurrency, at least 64
  // How many nice levels below the thread that calls run() the worker's
  // threads run (0: the same). Ten is well below a node (the kernel gives
  // a nice-0 thread about 9 times the CPU of a nice-10 one when both
  // want it) yet leaves the engines all of an otherwise idle machine.
  static constexpr int nice_increment_default = 10;
  int nice_increment = nice_increment_default;
};

struct WorkerCounters {
  std::atomic<std::uint64_t> batches_received{0};
  std::atomic<std::uint64_t> jobs_done{0};
  std::atomic<std::uint64_t> jobs_failed{0};
  std::atomic<std::uint64_t> result_batches_sent{0};
  // Jobs ended by a cancel event while queued or running here (no result
  // sent), and jobs given up because the worker stopped.
  std::atomic<std::uint64_t> jobs_cancelled{0};
  std::atomic<std::uint64_t> jobs_abandoned{0};
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
  // Serves until stop(). Then it drops the jobs still queued, lets running
  // ones finish for limits::worker_drain_ms, interrupts the rest (file
  // reads and exec commands stop at their next check) and returns within
  // limits::worker_stop_deadline_ms of stop(). Dropped and interrupted
  // jobs get no result: their leases expire and they run elsewhere.
  void run();
  void stop() { stop_.store(true); }
  const WorkerCounters& counters() const { return counters_; }

 private:
  struct Task {
    Job job;
    std::uint64_t term = 0;
    std::shared_ptr<std::atomic<bool>> cancelled;
  };
  void engine_loop();
  void run_task(Task& task);
  void take_jobs();
  void take_events();
  void cancel_job(std::uint64_t job_id);
  void stop_gracefully();
  void send_results(bool flush);

  zmq::context_t& context_;
  WorkerOptions options_;
  std::shared_ptr<Engine> engine_;
  zmq::socket_t jobs_, results_, events_;
  std::atomic<bool> stop_{false};
  // What every engine's Interrupt watches besides its job's own flag:
  // set once a stopping worker's drain time is over.
  std::atomic<bool> interrupting_{false};
  WorkerCounters counters_;

  // guards tasks_, done_, held_, quit_, running_, cancelled_*
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::deque<Task> tasks_;
  std::vector<JobResult> done_;
  std::size_t held_ = 0;  // tasks queued or running
  bool quit_ = false;
  // The cancel flag of every running task, by job id (two attempts of one
  // job may run here at once).
  std::multimap<std::uint64_t, std::shared_ptr<std::atomic<bool>>> running_;
  // Recently cancelled job ids (at most limits::worker_cancelled_jobs_max),
  // so a batch that arrives after its job's cancel event is dropped too.
  std::deque<std::uint64_t> cancelled_order_;
  std::unordered_set<std::uint64_t> cancelled_ids_;
  std::vector<std::thread> threads_;
  int engine_nice_ = 0;  // set by run() before it starts the engines
};

}  // namespace slurp::worker
