#include "src/security/audit_log.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "src/clock/clocks.h"
#include "src/security/audit_key.h"
#include "src/security/audit_resume.h"

namespace slurp::security {
namespace {

namespace fs = std::filesystem;

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path) {
  return open(path, Options{});
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path,
                                                 const Options& options) {
  if (sodium_init() < 0) {
    return make_error(ErrorCode::internal, "libsodium failed to initialise");
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::internal, "cannot open audit log " + path +
                                               ": " + std::strerror(errno));
  }
  std::unique_ptr<AuditLog> log(new AuditLog(fd, path, options));
  auto plan = audit::plan_resume(fd, log->key_path_);
  if (!plan) return plan.error();
  if (Status s = log->start(std::move(*plan)); !s) return s.error();
  return log;
}

AuditLog::AuditLog(int fd, fs::path path, const Options& options)
    : fd_(fd),
      path_(std::move(path)),
      key_path_(
          (path_.has_parent_path() ? path_.parent_path() : fs::path(".")) /
          audit::kKeyFileName),
      options_(options),
      paused_(options.writer_paused),
      refusals_(options.refusal_interval_ms, options.refusal_keys_max) {}

// Applies the resume plan: a new chain gets fresh keys and its first
// record, written (durably) before the writer thread starts.
Status AuditLog::start(audit::ResumePlan plan) {
  link_ = plan.link;
  durable_link_ = plan.link;
  file_bytes_ = plan.file_bytes;
  head_ = AuditHead{link_.seq, plan.last_epoch, link_.mac, plan.last_time_ms};
  opened_head_ = head_;
  std::string buffer;
  std::uint64_t records = 0;
  const std::uint64_t wall_now = wall_now_ms();
  if (plan.key) {
    chain_ = plan.key->chain;
    epoch_ = plan.key->epoch;
    key_ = plan.key->key;
    epoch_records_ = plan.epoch_records;
    epoch_first_ms_ = steady_now_ms();
    head_.epoch = epoch_;
    if (plan.store_key) {
      if (Status s = audit::store_key_state(key_path_, *plan.key); !s) {
        return s;
      }
    }
  } else {
    const audit::Key k0 = audit::random_key();
    chain_ = audit::chain_id(k0);
    auto verify_file = audit::write_verify_key(key_path_.parent_path(),
                                               audit::VerifyKey{chain_, k0});
    if (!verify_file) return verify_file.error();
    if (Status s = audit::store_key_state(key_path_, {chain_, 0, k0}); !s) {
      return s;
    }
    epoch_ = 0;
    key_ = k0;
    epoch_records_ = 1;  // the chain's first record, below
    epoch_first_ms_ = steady_now_ms();
    buffer += audit::chain_record(
        link_,
        audit::record_fields(wall_now, plan.new_chain_kind, audit::kSelfActor,
                             plan.new_chain_reason + "; chain " + chain_ +
                                 ", verification key in " +
                                 verify_file->string() +
                                 ": move it off this machine"),
        chain_, epoch_, key_);
    records += 1;
  }
  if (!plan.torn_detail.empty()) {
    buffer += self_record(audit::kTornTail, plan.torn_detail, wall_now);
    records += 1;
  }
  if (!buffer.empty() && !write_out(buffer, records, wall_now)) {
    return make_error(ErrorCode::internal, last_error_);
  }
  durable_epoch_records_ = epoch_records_;
  writer_ = std::thread([this] { writer_loop(); });
  return ok_status();
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mutex_);
    for (auto& s : refusals_.drain()) {
      (void)enqueue_locked(
          {wall_now_ms(),
           audit::record_fields(wall_now_ms(), s.kind, s.actor, s.detail)});
    }
    paused_ = false;
  }
  (void)flush(limits::audit_close_ms_max);
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  ::close(fd_);
  sodium_memzero(key_.data(), key_.size());
}

Status AuditLog::append(std::string_view kind, std::string_view actor,
                        std::string_view detail) {
  const std::uint64_t wall_now = wall_now_ms();
  Queued q{wall_now, audit::record_fields(wall_now, kind, actor, detail)};
  std::lock_guard lock(mutex_);
  return enqueue_locked(std::move(q));
}

Status AuditLog::refusal(std::string_view kind, std::string_view actor,
                         std::string_view reason, std::string_view detail) {
  const std::uint64_t wall_now = wall_now_ms();
  std::lock_guard lock(mutex_);
  for (auto& s : refusals_.expire(steady_now_ms())) {
    (void)enqueue_locked(
        {wall_now, audit::record_fields(wall_now, s.kind, s.actor, s.detail)});
  }
  if (!refusals_.admit(kind, actor, reason, detail, steady_now_ms())) {
    stats_.aggregated += 1;
    return ok_status();
  }
  return enqueue_locked(
      {wall_now, audit::record_fields(wall_now, kind, actor, detail)});
}

// Never blocks: a full queue drops the record and counts it.
Status AuditLog::enqueue_locked(Queued q) {
  if (queue_.size() >= options_.queue_records_max ||
      queue_bytes_ + q.fields.size() > options_.queue_bytes_max) {
    pending_drops_ += 1;
    stats_.dropped += 1;
  } else {
    queue_bytes_ += q.fields.size();
    queue_.push_back(std::move(q));
    stats_.enqueued += 1;
    wake_.notify_one();
  }
  if (failed_unreported_) {
    failed_unreported_ = false;
    return make_error(ErrorCode::internal, last_error_);
  }
  return ok_status();
}

Status AuditLog::flush(std::uint64_t timeout_ms) {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = taken_ + queue_.size();
  const std::uint64_t failed_before = failed_records_;
  wake_.notify_one();
  if (!durable_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                         [&] { return done_ >= target; })) {
    return make_error(ErrorCode::timeout,
                      "audit log: " + std::to_string(target - done_) +
                          " records not durable after " +
                          std::to_string(timeout_ms) + " ms");
  }
  if (failed_records_ != failed_before) {
    return make_error(ErrorCode::internal, last_error_);
  }
  return ok_status();
}

AuditHead AuditLog::head() const {
  std::lock_guard lock(mutex_);
  return head_;
}

AuditStats AuditLog::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void AuditLog::resume_writer() {
  std::lock_guard lock(mutex_);
  paused_ = false;
  wake_.notify_one();
}

}  // namespace slurp::security
