// The append-only audit log of a node (PROTOCOL.md, "Audit log", is the
// format and what verification proves).
//
// - append() and refusal() only format a bounded record and queue it; they
//   never block on the disk and never fsync. A writer thread owned by the
//   log writes whatever is queued with one write() and ONE fdatasync per
//   batch (group commit). A full queue drops the record and counts it; the
//   next batch starts with an "audit.dropped" record giving the count.
// - refusal() aggregates: one record per (kind, actor, reason) per
//   interval, then one "<kind>.repeated" record with the count.
// - Every record is chained by a public SHA-256 hash and by an HMAC under
//   a forward-secure key: the key of epoch e+1 is a one-way hash of the key
//   of epoch e, and the writer erases the old key when an epoch ends. So
//   someone who later gets write access to this machine (and its current
//   key) cannot rewrite records of earlier epochs undetected; the operator
//   verifies with the epoch-0 key (audit.verify-key), which the node writes
//   once and the operator moves off the machine (audit_verify.h).
// - head() is the last durable record, to anchor in the replicated log so
//   that cutting the file's tail is detected too.
//
// Thread-safety: append(), refusal(), flush(), head() and stats() may be
// called from any thread (the node thread and the ZAP thread both do).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "protocol/limits.h"
#include "protocol/result.h"
#include "src/security/audit_format.h"
#include "src/security/audit_resume.h"
#include "src/security/refusal_aggregator.h"

namespace slurp::security {

// The last record durably written (after its fdatasync).
struct AuditHead {
  std::uint64_t seq = 0;
  std::uint64_t epoch = 0;
  std::string mac_hex;
  std::uint64_t time_ms = 0;
};

struct AuditStats {
  std::uint64_t enqueued = 0;    // records accepted into the queue
  std::uint64_t dropped = 0;     // records refused by a full queue
  std::uint64_t aggregated = 0;  // refusals counted instead of written
  std::uint64_t written = 0;     // records durable (including the log's own)
  std::uint64_t syncs = 0;       // fdatasync calls on the log
  std::uint64_t epochs_ended = 0;
};

class AuditLog {
 public:
  // The limits::audit_* defaults; tests shorten them.
  struct Options {
    std::uint64_t epoch_ms = limits::audit_epoch_ms;
    std::uint64_t epoch_records_max = limits::audit_epoch_records_max;
    std::size_t queue_records_max = limits::audit_queue_records_max;
    std::size_t queue_bytes_max = limits::audit_queue_bytes_max;
    std::uint64_t refusal_interval_ms = limits::audit_refusal_interval_ms;
    std::size_t refusal_keys_max = limits::audit_refusal_keys_max;
    // Tests only: the writer takes nothing from the queue until
    // resume_writer(), so a test can fill the queue deterministically.
    bool writer_paused = false;
  };

  // Opens (creating if needed) the log at `path` and resumes its chain with
  // the key state file beside it (audit.key). A missing or non-matching key
  // starts a new chain with an "audit.key_lost" record instead of failing;
  // a torn last line (crash mid-write) is cut and recorded. Fails only if
  // the files cannot be opened or written.
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path);
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path,
                                                const Options& options);

  // Writes pending "repeated" summaries, waits up to audit_close_ms_max for
  // the queue to become durable, and joins the writer.
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // kind: dotted event name ("leader.elected", ...); actor: the key name or
  // public key; detail: free text. Each is cut to its limit and escaped.
  // Never blocks; returns an error only once after the writer failed to
  // write (so a caller logs it without flooding its own log).
  Status append(std::string_view kind, std::string_view actor,
                std::string_view detail);
  // A refused request or handshake: `reason` is its class (an error code,
  // "plaintext", ...). Written at most once per (kind, actor, reason) per
  // refusal interval; the rest are counted (see refusal_aggregator.h).
  Status refusal(std::string_view kind, std::string_view actor,
                 std::string_view reason, std::string_view detail);

  // Waits until every record queued before this call is durable, or
  // `timeout_ms` passes (then an error).
  Status flush(std::uint64_t timeout_ms);
  AuditHead head() const;
  // The file's last record when open() found it (before this process
  // wrote anything): sent with anchors, so the cluster can tell that a
  // restarted node's file ends before a head it had attested.
  const AuditHead& opened_head() const { return opened_head_; }
  AuditStats stats() const;
  // The durable head's seq (the number of records in the file).
  std::uint64_t records() const { return head().seq; }
  void resume_writer();

 private:
  struct Queued {
    std::uint64_t time_ms;
    std::string fields;  // audit::record_fields()
  };
  struct BatchResult {
    std::uint64_t durable = 0;  // records of the batch now durable
    bool ok = true;
  };
  AuditLog(int fd, std::filesystem::path path, const Options& options);
  Status start(audit::ResumePlan plan);
  Status enqueue_locked(Queued q);
  void writer_loop();
  // Writer thread only (or open(), before it starts); see audit_writer.cc.
  BatchResult write_batch(const std::deque<Queued>& batch,
                          std::uint64_t dropped);
  bool write_out(std::string& buffer, std::uint64_t& in_buffer,
                 std::uint64_t last_time_ms);
  bool end_epoch(std::string& buffer, std::uint64_t& in_buffer,
                 std::uint64_t time_ms);
  bool epoch_due(std::uint64_t now_steady_ms) const;
  std::string chain_one(std::string_view fields);
  std::string self_record(std::string_view kind, std::string_view detail,
                          std::uint64_t time_ms);

  // Fixed after open.
  const int fd_;
  const std::filesystem::path path_;
  const std::filesystem::path key_path_;
  const Options options_;

  // Writer-thread state (open() sets it before the thread starts).
  audit::ChainLink link_;
  audit::ChainLink durable_link_;  // link_ as of the last fdatasync
  std::string chain_;
  std::uint64_t epoch_ = 0;
  audit::Key key_{};
  std::uint64_t epoch_records_ = 0;
  std::uint64_t epoch_first_ms_ = 0;  // steady clock
  std::uint64_t durable_epoch_records_ = 0;
  std::uint64_t file_bytes_ = 0;  // durable size: a failed write is cut back

  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the writer: work or stop
  std::condition_variable durable_;  // flush(): progress
  std::deque<Queued> queue_;
  std::size_t queue_bytes_ = 0;
  std::uint64_t pending_drops_ = 0;   // not yet reported in a record
  std::uint64_t taken_ = 0;           // queued records the writer has taken
  std::uint64_t done_ = 0;            // ... and finished (durable or failed)
  std::uint64_t failed_records_ = 0;  // finished but lost to a failed write
  bool failed_unreported_ = false;
  std::string last_error_;
  bool paused_ = false;
  bool stop_ = false;
  RefusalAggregator refusals_;
  AuditHead head_;
  AuditHead opened_head_;  // set by open(), then fixed
  AuditStats stats_;
  std::thread writer_;
};

}  // namespace slurp::security
