#include "src/worker/worker.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <thread>

#include "bus/poll.h"
#include "bus/received_message.h"
#include "bus/socket.h"
#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/wire_size.h"
#include "src/worker/thread_priority.h"

namespace slurp::worker {
namespace {

// A few batches at most wait in our PULL pipe: more would be work this
// worker holds while others are idle.
constexpr int kJobsReceiveHwmBatches = 2;
constexpr std::chrono::milliseconds kPollInterval{5};
constexpr std::chrono::milliseconds kDrainOnStop{limits::worker_drain_ms};
// After the interrupt, what is left of the stop deadline: engines notice
// it within a chunk or a poll round (limits::file_read_chunk_bytes,
// kInterruptPollMs).
constexpr std::chrono::milliseconds kInterruptGrace{
    limits::worker_stop_deadline_ms - limits::worker_drain_ms};
// The events a worker listens to: a job that ended while it may hold it.
constexpr std::string_view kEndedTopics[] = {"job.cancelled", "job.failed"};

std::optional<std::uint64_t> job_id_of(const Event& event) {
  auto it = event.attrs.find("job_id");
  if (it == event.attrs.end()) return std::nullopt;
  std::uint64_t id = 0;
  const std::string& text = it->second;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return id;
}

}  // namespace

Worker::Worker(zmq::context_t& context, WorkerOptions options,
               std::shared_ptr<Engine> engine)
    : context_(context),
      options_(std::move(options)),
      engine_(std::move(engine)) {
  if (options_.concurrency == 0) options_.concurrency = 1;
  if (options_.backlog_jobs_max == 0) {
    options_.backlog_jobs_max =
        std::max<std::size_t>(64, 2 * options_.concurrency);
  }
}

Worker::~Worker() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

Status Worker::connect() {
  bus::SocketOptions jobs_options;
  jobs_options.receive_hwm_messages = kJobsReceiveHwmBatches;
  // And few bytes in the kernel: a job held there is leased but waits.
  jobs_options.receive_buffer_bytes = limits::jobs_socket_buffer_bytes;
  // This PULL stops its input on purpose (credit flow control, above), so
  // no ZMTP heartbeats on it: libzmq 4.3.4 aborts when a heartbeat fires
  // on a stopped connection that failed, e.g. when a node restarts
  // (bus/socket_options.h).
  jobs_options.zmtp_heartbeats = false;
  try {
    auto security = [&](const WorkerNode& node) -> bus::SocketSecurity {
      if (options_.insecure) return bus::Insecure{""};
      return bus::CurveClient{options_.keys.public_z85,
                              options_.keys.secret_z85, node.public_key_z85};
    };
    if (options_.nodes.empty()) {
      return make_error(ErrorCode::bad_request, "no nodes to work for",
                        "nodes");
    }
    jobs_ = bus::make_socket(context_, zmq::socket_type::pull,
                             security(options_.nodes.front()), jobs_options);
    events_ = bus::make_socket(context_, zmq::socket_type::sub,
                               security(options_.nodes.front()));
    for (std::string_view topic : kEndedTopics) {
      events_.set(zmq::sockopt::subscribe, topic);
    }
    results_ = bus::make_socket(context_, zmq::socket_type::push,
                                security(options_.nodes.front()));
    // One socket reaches every node; libzmq reads CURVE_SERVERKEY when a
    // connection is made, so each connect() gets that node's key.
    for (const WorkerNode& node : options_.nodes) {
      if (!options_.insecure) {
        jobs_.set(zmq::sockopt::curve_serverkey, node.public_key_z85);
        results_.set(zmq::sockopt::curve_serverkey, node.public_key_z85);
      }
      jobs_.connect(node.jobs_endpoint);
      results_.connect(node.results_endpoint);
      if (!node.events_endpoint.empty()) {
        if (!options_.insecure) {
          events_.set(zmq::sockopt::curve_serverkey, node.public_key_z85);
        }
        events_.connect(node.events_endpoint);
      }
    }
  } catch (const zmq::error_t& e) {
    return make_error(ErrorCode::bad_request,
                      std::string("cannot connect: ") + e.what(), "nodes");
  }
  return ok_status();
}

void Worker::run() {
  engine_nice_ = lower_this_thread_priority_to(this_thread_nice() +
                                               options_.nice_increment);
  for (std::size_t i = 0; i < options_.concurrency; ++i) {
    threads_.emplace_back([this] { engine_loop(); });
  }
  while (!stop_.load()) {
    bool room;
    {
      std::lock_guard lock(mutex_);
      room = held_ < options_.backlog_jobs_max;
    }
    std::array<zmq_pollitem_t, 2> items{
        zmq_pollitem_t{events_.handle(), 0, ZMQ_POLLIN, 0},
        zmq_pollitem_t{jobs_.handle(), 0, ZMQ_POLLIN, 0}};
    // Events always (a cancel must reach a busy worker); jobs while there
    // is room.
    const std::size_t n = room ? 2 : 1;
    if (bus::poll_items(std::span(items.data(), n), kPollInterval) > 0) {
      if (items[0].revents & ZMQ_POLLIN) take_events();
      if (n == 2 && (items[1].revents & ZMQ_POLLIN)) take_jobs();
    }
    send_results(false);
  }
  stop_gracefully();
}

// Queued jobs are dropped at once; running ones get kDrainOnStop to
// finish, then the interrupt, then what is left of the stop deadline.
void Worker::stop_gracefully() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  {
    std::lock_guard lock(mutex_);
    counters_.jobs_abandoned.fetch_add(tasks_.size());
    held_ -= tasks_.size();
    tasks_.clear();
  }
  auto wait_idle = [&](Clock::time_point deadline) {
    while (Clock::now() < deadline) {
      {
        std::lock_guard lock(mutex_);
        if (held_ == 0) return true;
      }
      send_results(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  };
  if (!wait_idle(start + kDrainOnStop)) {
    interrupting_.store(true);
    if (!wait_idle(start + kDrainOnStop + kInterruptGrace)) {
      spdlog::warn(
          "an engine thread did not stop within {} ms of SIGTERM (a CPU-bound "
          "analysis?); waiting for it",
          limits::worker_stop_deadline_ms);
    }
  }
  send_results(true);
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Worker::take_events() {
  while (true) {
    auto received = bus::receive_message(events_);
    if (!received) return;
    if (!*received || (*received)->rejected ||
        (*received)->frames.size() != 2) {
      continue;
    }
    const zmq::message_t& frame = (*received)->frames[1];
    auto decoded = decode(std::string_view(frame.data<char>(), frame.size()));
    if (!decoded || !std::holds_alternative<Event>(*decoded)) continue;
    const Event& event = std::get<Event>(*decoded);
    if (std::find(std::begin(kEndedTopics), std::end(kEndedTopics),
                  event.topic) == std::end(kEndedTopics)) {
      continue;
    }
    if (auto id = job_id_of(event)) cancel_job(*id);
  }
}

// The job ended elsewhere (cancelled, or failed at its deadline): drop it
// if queued, interrupt it if running, and remember it for a batch that is
// still on its way.
void Worker::cancel_job(std::uint64_t job_id) {
  std::lock_guard lock(mutex_);
  const std::size_t before = tasks_.size();
  std::erase_if(tasks_,
                [&](const Task& task) { return task.job.job_id == job_id; });
  const std::size_t dropped = before - tasks_.size();
  held_ -= dropped;
  counters_.jobs_cancelled.fetch_add(dropped);
  auto [first, last] = running_.equal_range(job_id);
  for (auto it = first; it != last; ++it) it->second->store(true);
  if (dropped > 0 || first != last) {
    spdlog::info("job {} ended elsewhere: {} dropped, {} interrupted", job_id,
                 dropped, std::distance(first, last));
  }
  if (cancelled_ids_.insert(job_id).second) {
    cancelled_order_.push_back(job_id);
    if (cancelled_order_.size() > limits::worker_cancelled_jobs_max) {
      cancelled_ids_.erase(cancelled_order_.front());
      cancelled_order_.pop_front();
    }
  }
}

void Worker::take_jobs() {
  while (true) {
    auto received = bus::receive_message(jobs_);
    if (!received) return;
    if (!*received || (*received)->rejected ||
        (*received)->frames.size() != 1) {
      spdlog::warn("jobs: dropped a malformed message");
      continue;
    }
    const zmq::message_t& frame = (*received)->frames[0];
    auto decoded = decode(std::string_view(frame.data<char>(), frame.size()));
    if (!decoded || !std::holds_alternative<JobBatch>(*decoded)) {
      spdlog::warn("jobs: expected a jobs batch: {}",
                   decoded ? std::string(message_type(*decoded))
                           : decoded.error().describe());
      continue;
    }
    JobBatch& batch = std::get<JobBatch>(*decoded);
    counters_.batches_received.fetch_add(1);
    {
      std::lock_guard lock(mutex_);
      for (Job& job : batch.jobs) {
        if (cancelled_ids_.contains(job.job_id)) {
          counters_.jobs_cancelled.fetch_add(1);
          continue;
        }
        tasks_.push_back(Task{std::move(job), batch.term,
                              std::make_shared<std::atomic<bool>>(false)});
        ++held_;
      }
    }
    work_ready_.notify_all();
    std::lock_guard lock(mutex_);
    if (held_ >= options_.backlog_jobs_max) return;
  }
}

void Worker::engine_loop() {
  // Inherited from run()'s thread already; set again so that the engine
  // threads' priority does not depend on how they were started.
  (void)lower_this_thread_priority_to(engine_nice_);
  // Named, so that `top -H` and /proc/PID/task/*/comm tell engines apart
  // from the node's threads in `slurpd --workers N`.
  (void)pthread_setname_np(pthread_self(), "slurp-engine");
  while (true) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [this] { return quit_ || !tasks_.empty(); });
      if (quit_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
      running_.emplace(task.job.job_id, task.cancelled);
    }
    run_task(task);
  }
}

void Worker::run_task(Task& task) {
  JobResult result;
  result.job_id = task.job.job_id;
  result.attempt = task.job.attempt;
  result.term = task.term;
  auto context = engine_->generate(
      task.job, Interrupt(task.cancelled.get(), &interrupting_));
  std::lock_guard lock(mutex_);
  auto [first, last] = running_.equal_range(task.job.job_id);
  for (auto it = first; it != last; ++it) {
    if (it->second == task.cancelled) {
      running_.erase(it);
      break;
    }
  }
  --held_;
  // An ended job's result would be ignored by the leader; a stopping
  // worker's interrupted one is not a failure of the job.
  if (task.cancelled->load()) {
    counters_.jobs_cancelled.fetch_add(1);
    return;
  }
  if (interrupting_.load()) {
    counters_.jobs_abandoned.fetch_add(1);
    return;
  }
  if (context) {
    result.ok = true;
    result.context = std::move(*context);
    counters_.jobs_done.fetch_add(1);
  } else {
    result.ok = false;
    result.error = context.error().describe();
    counters_.jobs_failed.fetch_add(1);
  }
  done_.push_back(std::move(result));
}

// Results go out in batches of what is ready; a batch the results socket
// cannot take now (no node connected yet) is kept for the next turn.
void Worker::send_results(bool flush) {
  std::vector<JobResult> ready;
  {
    std::lock_guard lock(mutex_);
    if (done_.empty()) return;
    ready.swap(done_);
  }
  std::size_t sent_upto = 0;
  while (sent_upto < ready.size()) {
    // Up to result_batch_max results, and under the message limit (a big
    // file's symbols can make one context large).
    std::size_t n = 0, bytes = 0;
    while (sent_upto + n < ready.size() && n < limits::result_batch_max) {
      const std::size_t more = wire_bytes_estimate(ready[sent_upto + n]);
      if (n > 0 && bytes + more > kBatchPayloadBytesMax) break;
      bytes += more;
      ++n;
    }
    ResultBatch batch;
    batch.worker = options_.name;
    batch.results.assign(
        ready.begin() + static_cast<std::ptrdiff_t>(sent_upto),
        ready.begin() + static_cast<std::ptrdiff_t>(sent_upto + n));
    const std::string payload = encode(batch);
    bool sent = false;
    try {
      sent = results_.send(zmq::buffer(payload), zmq::send_flags::dontwait)
                 .has_value();
    } catch (const zmq::error_t& e) {
      spdlog::debug("results: {}", e.what());
    }
    if (!sent) break;
    counters_.result_batches_sent.fetch_add(1);
    sent_upto += n;
  }
  if (sent_upto < ready.size() && !flush) {
    std::lock_guard lock(mutex_);
    done_.insert(done_.begin(),
                 ready.begin() + static_cast<std::ptrdiff_t>(sent_upto),
                 ready.end());
  } else if (sent_upto < ready.size()) {
    spdlog::warn(
        "stopping with {} results not delivered (their leases will "
        "expire and the jobs run again)",
        ready.size() - sent_upto);
  }
}

}  // namespace slurp::worker
