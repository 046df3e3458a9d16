#include "src/storage/log_writer.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

namespace slurp::storage {
namespace {

std::uint64_t now_us() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

}  // namespace

Result<std::unique_ptr<LogWriter>> LogWriter::start(RaftStorage& storage) {
  std::unique_ptr<LogWriter> writer(new LogWriter(storage));
  writer->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (writer->wake_fd_ < 0) {
    return make_error(ErrorCode::internal, "eventfd for the log writer");
  }
  try {
    writer->thread_ = std::thread([w = writer.get()] { w->run(); });
  } catch (const std::system_error& e) {
    return make_error(ErrorCode::internal,
                      std::string("log writer thread: ") + e.what());
  }
  return writer;
}

LogWriter::~LogWriter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void LogWriter::submit(const consensus::Ready& ready) {
  submitted_ = true;
  {
    std::lock_guard lock(mutex_);
    pending_ = &ready;
    done_.reset();
  }
  cv_.notify_all();
}

std::optional<Status> LogWriter::take_done() {
  if (!submitted_) return std::nullopt;
  std::optional<Status> done;
  std::uint64_t took_us = 0;
  {
    std::lock_guard lock(mutex_);
    if (!done_) return std::nullopt;
    done.swap(done_);
    took_us = done_us_;
  }
  std::uint64_t counter = 0;
  (void)!::read(wake_fd_, &counter, sizeof counter);
  submitted_ = false;
  ++counters_.writes;
  counters_.write_us_last = took_us;
  counters_.write_us_max = std::max(counters_.write_us_max, took_us);
  return done;
}

Status LogWriter::wait() {
  if (!submitted_) return ok_status();
  {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return done_.has_value(); });
  }
  return *take_done();
}

void LogWriter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    // Stopping waits for the write under way: the owner may not have
    // taken its outcome, but what it submitted is never left half done.
    cv_.wait(lock, [this] { return stop_ || pending_ != nullptr; });
    if (pending_ == nullptr) return;
    const consensus::Ready& ready = *pending_;
    lock.unlock();
    const std::uint64_t start_us = now_us();
    Status s = storage_.write(ready.hard_state, ready.entries, ready.snapshot);
    if (s) s = storage_.sync();
    const std::uint64_t took_us = now_us() - start_us;
    lock.lock();
    pending_ = nullptr;
    done_ = std::move(s);
    done_us_ = took_us;
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    cv_.notify_all();
  }
}

}  // namespace slurp::storage
