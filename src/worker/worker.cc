#include "src/worker/worker.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "bus/poll.h"
#include "bus/received_message.h"
#include "bus/socket.h"
#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/wire_size.h"

namespace slurp::worker {
namespace {

// A few batches at most wait in our PULL pipe: more would be work this
// worker holds while others are idle.
constexpr int kJobsReceiveHwmBatches = 2;
constexpr std::chrono::milliseconds kPollInterval{5};
constexpr std::chrono::milliseconds kDrainOnStop{1000};

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
    }
  } catch (const zmq::error_t& e) {
    return make_error(ErrorCode::bad_request,
                      std::string("cannot connect: ") + e.what(), "nodes");
  }
  return ok_status();
}

void Worker::run() {
  for (std::size_t i = 0; i < options_.concurrency; ++i) {
    threads_.emplace_back([this] { engine_loop(); });
  }
  while (!stop_.load()) {
    bool room;
    {
      std::lock_guard lock(mutex_);
      room = held_ < options_.backlog_jobs_max;
    }
    if (room) {
      zmq_pollitem_t item{jobs_.handle(), 0, ZMQ_POLLIN, 0};
      if (bus::poll_items(std::span(&item, 1), kPollInterval) > 0) take_jobs();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    send_results(false);
  }
  auto deadline = std::chrono::steady_clock::now() + kDrainOnStop;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      if (held_ == 0 && done_.empty()) break;
    }
    send_results(false);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
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
        tasks_.push_back(Task{std::move(job), batch.term});
        ++held_;
      }
    }
    work_ready_.notify_all();
    std::lock_guard lock(mutex_);
    if (held_ >= options_.backlog_jobs_max) return;
  }
}

void Worker::engine_loop() {
  while (true) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [this] { return quit_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // quit_
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    JobResult result;
    result.job_id = task.job.job_id;
    result.attempt = task.job.attempt;
    result.term = task.term;
    auto context = engine_->generate(task.job);
    if (context) {
      result.ok = true;
      result.context = std::move(*context);
      counters_.jobs_done.fetch_add(1);
    } else {
      result.ok = false;
      result.error = context.error().describe();
      counters_.jobs_failed.fetch_add(1);
    }
    std::lock_guard lock(mutex_);
    done_.push_back(std::move(result));
    --held_;
  }
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
