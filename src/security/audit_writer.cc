// AuditLog's writer thread: group commit, epoch ends and key evolution.
// Everything here runs on the writer thread (or in open() before it
// starts); the chain state (link_, epoch_, key_, ...) is touched by no
// other thread, so only the queue and the head need the mutex.
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "src/clock/clocks.h"
#include "src/security/audit_key.h"
#include "src/security/audit_log.h"

namespace slurp::security {
namespace {}  // namespace

void AuditLog::writer_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    const std::uint64_t steady_now = steady_now_ms();
    for (auto& s : refusals_.expire(steady_now)) {
      const std::uint64_t t = wall_now_ms();
      (void)enqueue_locked(
          {t, audit::record_fields(t, s.kind, s.actor, s.detail)});
    }
    const bool work = !paused_ && (!queue_.empty() || pending_drops_ > 0);
    if (work || epoch_due(steady_now)) {
      std::deque<Queued> batch;
      std::uint64_t dropped = 0;
      if (!paused_) {
        batch.swap(queue_);
        queue_bytes_ = 0;
        dropped = std::exchange(pending_drops_, 0);
        taken_ += batch.size();
      }
      lock.unlock();
      const BatchResult result = write_batch(batch, dropped);
      lock.lock();
      const std::uint64_t lost = batch.size() - result.durable;
      done_ += batch.size();
      if (lost > 0) {
        failed_records_ += lost;
        pending_drops_ += lost;  // reported by the next batch that succeeds
      }
      if (!result.ok && result.durable == 0) pending_drops_ += dropped;
      durable_.notify_all();
      if (!result.ok && !stop_) {
        wake_.wait_for(lock,
                       std::chrono::milliseconds(limits::audit_writer_retry_ms),
                       [&] { return stop_; });
      }
      continue;
    }
    if (stop_) {
      // Seal the last epoch at close, so no key of a record written so far
      // is left on disk while the node is down.
      if (epoch_records_ > 0) {
        lock.unlock();
        std::string buffer;
        std::uint64_t in_buffer = 0;
        if (end_epoch(buffer, in_buffer, wall_now_ms())) {
          write_out(buffer, in_buffer, wall_now_ms());
        }
        lock.lock();
      }
      break;
    }
    std::uint64_t deadline = steady_now + limits::audit_writer_wakeup_ms;
    if (auto next = refusals_.next_expiry_ms()) {
      deadline = std::min(deadline, *next);
    }
    if (epoch_records_ > 0) {
      deadline = std::min(deadline, epoch_first_ms_ + options_.epoch_ms);
    }
    wake_.wait_for(lock, std::chrono::milliseconds(deadline > steady_now
                                                       ? deadline - steady_now
                                                       : 1));
  }
}

bool AuditLog::epoch_due(std::uint64_t now_steady_ms) const {
  return epoch_records_ > 0 &&
         (epoch_records_ >= options_.epoch_records_max ||
          now_steady_ms - epoch_first_ms_ >= options_.epoch_ms);
}

// One write() and one fdatasync for the whole batch, unless an epoch ends
// inside it (then the part before the seal is written and synced first,
// because the key evolves only after its seal is durable). Returns how
// many of `batch` are durable.
AuditLog::BatchResult AuditLog::write_batch(const std::deque<Queued>& batch,
                                            std::uint64_t dropped) {
  std::string buffer;
  std::uint64_t in_buffer = 0, from_batch = 0, durable = 0;
  std::uint64_t last_time = wall_now_ms();
  if (dropped > 0) {
    buffer += self_record(
        audit::kDropped,
        std::to_string(dropped) +
            " records dropped: the audit queue was full or a write failed",
        last_time);
    in_buffer += 1;
  }
  for (const Queued& q : batch) {
    if (epoch_records_ >= options_.epoch_records_max) {
      if (!end_epoch(buffer, in_buffer, last_time)) return {durable, false};
      durable += from_batch;
      from_batch = 0;
    }
    buffer += chain_one(q.fields);
    last_time = q.time_ms;
    in_buffer += 1;
    from_batch += 1;
  }
  const bool ok = epoch_due(steady_now_ms())
                      ? end_epoch(buffer, in_buffer, wall_now_ms())
                      : write_out(buffer, in_buffer, last_time);
  return ok ? BatchResult{durable + from_batch, true}
            : BatchResult{durable, false};
}

std::string AuditLog::chain_one(std::string_view fields) {
  if (epoch_records_ == 0) epoch_first_ms_ = steady_now_ms();
  epoch_records_ += 1;
  return audit::chain_record(link_, fields, "", epoch_, key_);
}

std::string AuditLog::self_record(std::string_view kind,
                                  std::string_view detail,
                                  std::uint64_t time_ms) {
  return chain_one(
      audit::record_fields(time_ms, kind, audit::kSelfActor, detail));
}

// Seals the epoch (its last record, under its key), makes the buffer
// durable, then stores the next key and erases this one. Leaves the buffer
// empty or holding a record about a failed key store.
bool AuditLog::end_epoch(std::string& buffer, std::uint64_t& in_buffer,
                         std::uint64_t time_ms) {
  audit::KeyState next{chain_, epoch_ + 1, audit::next_epoch_key(key_)};
  buffer += self_record(
      audit::kEpochSealed,
      audit::seal_detail(epoch_, epoch_records_ + 1, next.key), time_ms);
  in_buffer += 1;
  if (!write_out(buffer, in_buffer, time_ms)) {
    sodium_memzero(next.key.data(), next.key.size());
    return false;
  }
  Status stored = audit::store_key_state(key_path_, next);
  sodium_memzero(key_.data(), key_.size());
  key_ = next.key;
  sodium_memzero(next.key.data(), next.key.size());
  epoch_ += 1;
  epoch_records_ = 0;
  durable_epoch_records_ = 0;
  {
    std::lock_guard lock(mutex_);
    stats_.epochs_ended += 1;
  }
  if (!stored) {
    // The old key stays on disk until the next epoch ends; at a restart
    // the file is behind the log and is evolved forward.
    buffer += self_record(audit::kKeyNotEvolved,
                          "the key of epoch " + std::to_string(epoch_) +
                              " was not stored: " + stored.error().reason,
                          time_ms);
    in_buffer += 1;
  }
  return true;
}

// Appends the buffer with one write() and one fdatasync. On failure the
// file is cut back to its durable size and the chain state rolls back, so
// the next batch continues the durable chain.
bool AuditLog::write_out(std::string& buffer, std::uint64_t& in_buffer,
                         std::uint64_t last_time_ms) {
  if (buffer.empty()) return true;
  std::size_t at = 0;
  bool ok = true;
  while (at < buffer.size()) {
    const ssize_t n = ::write(fd_, buffer.data() + at, buffer.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    at += static_cast<std::size_t>(n);
  }
  ok = ok && ::fdatasync(fd_) == 0;
  std::lock_guard lock(mutex_);
  if (!ok) {
    last_error_ = "audit log: cannot write " + path_.string() + ": " +
                  std::strerror(errno);
    failed_unreported_ = true;
    (void)!::ftruncate(fd_, static_cast<off_t>(file_bytes_));
    link_ = durable_link_;
    epoch_records_ = durable_epoch_records_;
  } else {
    file_bytes_ += buffer.size();
    durable_link_ = link_;
    durable_epoch_records_ = epoch_records_;
    head_ = AuditHead{link_.seq, epoch_, link_.mac, last_time_ms};
    stats_.written += in_buffer;
    stats_.syncs += 1;
  }
  buffer.clear();
  in_buffer = 0;
  return ok;
}

}  // namespace slurp::security
