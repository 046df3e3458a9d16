// A node's Prometheus metrics and health checks (docs/METRICS.md lists
// every metric). The node thread writes plain atomics: set_*() once a loop
// turn or so, the event methods as things happen. A scrape (the metrics
// listener's HTTP threads) reads them in Collect() and builds the families
// then, so the node thread never waits on HTTP and holds no lock that a
// scrape holds. Values read by one scrape may come from two neighbouring
// turns; each one is a value the node had.
//
// Thread-safety: every method may be called from any thread, but only the
// node thread calls the writers (turn_done, set_*, the event methods) and
// only HTTP threads call Collect, live and ready. ZAP refusals (an atomic)
// and file sizes are read at scrape time, through Sources, whose functions
// must be safe on any thread and take no lock the node thread takes.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "protocol/error_code.h"
#include "protocol/socket_messages.h"
#include "src/metrics/atomic_histogram.h"
#include "src/metrics/health.h"

namespace slurp::metrics {

// /readyz fails when this node's applied index trails the commit index it
// knows by more than this many entries (a node replaying a backlog).
inline constexpr std::uint64_t ready_apply_lag_entries_max = 1000;
// /healthz fails when the loop has not finished a turn for this long.
inline constexpr std::uint64_t live_turn_age_ms_max = 5000;

class NodeMetrics final : public prometheus::Collectable {
 public:
  struct Sources {
    std::string node_id;
    std::vector<std::string> members;  // every voter's id, this node's too
    std::filesystem::path data_dir;    // raft.db, contexts.db, snapshots
    std::uint64_t election_timeout_ms = 300;
    std::function<std::uint64_t()> zap_refusals;
  };

  // Consensus as of the end of a loop turn.
  struct RaftView {
    std::uint64_t term = 0;
    std::uint64_t commit_index = 0;
    std::uint64_t applied_index = 0;
    std::uint64_t last_index = 0;
    bool candidate = false;  // pre-candidate or candidate
    bool leader = false;
    int leader_member = -1;  // index into Sources::members; -1: none known
    // Steady ms of the last message from the leader (0: none yet).
    std::uint64_t leader_contact_ms = 0;
  };

  // The replicated queue (same on every node) and the leader's own view.
  static constexpr std::size_t priorities = 5;  // low .. emergency
  struct QueueView {
    std::array<std::uint64_t, priorities> queued{}, active{};
    std::array<std::uint64_t, priorities> completed{}, failed{};
    std::uint64_t waiting = 0;
    std::uint64_t cache_hits = 0, attached = 0, duplicate_generations = 0;
    std::uint64_t late_results = 0, dead_lettered = 0, retries = 0;
    std::uint64_t contexts = 0, context_bytes = 0;
    std::uint64_t workers_seen = 0;  // leader only; 0 on followers
  };

  explicit NodeMetrics(Sources sources);

  // Node thread.
  void turn_done(std::uint64_t end_steady_ms, std::uint64_t work_us);
  void set_raft(const RaftView& raft);
  // Entries `members[i]` lacks of the leader's log; only a leader knows.
  void set_peer_lag(std::size_t member, std::uint64_t entries);
  void set_queue(const QueueView& queue);
  void set_stopping() { stopping_.store(true); }
  // Records written to audit.log (AuditLog::stats takes the log's lock, so
  // the node thread reads it, not a scrape).
  void set_audit_records(std::uint64_t n) { audit_records_.store(n); }
  // A decoded client request of variant index `type` (ClientRequestMessage).
  void request_received(std::size_t type);
  // A refused request: `type` as above, or nullopt when refused before it
  // was decoded.
  void request_refused(std::optional<std::size_t> type, ErrorCode code);
  void generate_acknowledged(double seconds) { ack_seconds_.observe(seconds); }
  void log_synced(double seconds) { log_sync_seconds_.observe(seconds); }
  void jobs_dispatched(std::uint64_t n) { dispatched_.fetch_add(n); }
  void results_received(std::uint64_t n) { results_.fetch_add(n); }

  // HTTP threads.
  std::vector<prometheus::MetricFamily> Collect() const override;
  HealthReport live(std::uint64_t steady_now_ms) const;
  HealthReport ready(std::uint64_t steady_now_ms) const;

 private:
  using Counter = std::atomic<std::uint64_t>;
  static constexpr std::size_t request_types =
      std::variant_size_v<ClientRequestMessage>;
  static constexpr std::size_t error_codes = std::size(kAllErrorCodes);

  void collect_raft(std::vector<prometheus::MetricFamily>& out) const;
  void collect_queue(std::vector<prometheus::MetricFamily>& out) const;
  void collect_requests(std::vector<prometheus::MetricFamily>& out) const;
  void collect_storage(std::vector<prometheus::MetricFamily>& out) const;

  const Sources sources_;

  Counter term_{0}, commit_{0}, applied_{0}, last_index_{0};
  std::atomic<bool> leader_{false}, stopping_{false};
  std::atomic<int> leader_member_{-1};
  Counter leader_contact_ms_{0};
  Counter elections_{0}, leader_changes_{0};
  bool was_candidate_ = false;     // node thread only
  int last_leader_member_ = -1;    // node thread only
  std::vector<Counter> peer_lag_;  // by member index

  std::array<Counter, priorities> queued_{}, active_{}, completed_{}, failed_{};
  Counter waiting_{0}, cache_hits_{0}, attached_{0}, duplicates_{0};
  Counter late_results_{0}, dead_lettered_{0}, retries_{0};
  Counter contexts_{0}, context_bytes_{0}, workers_seen_{0};

  std::array<Counter, request_types> requests_{};
  // [type + 1][code]: row 0 is "refused before it was decoded".
  std::array<std::array<Counter, error_codes>, request_types + 1> refused_{};
  Counter dispatched_{0}, results_{0}, audit_records_{0};

  Counter last_turn_ms_{0};  // steady; 0 before the first turn
  Counter turns_{0};
  AtomicHistogram turn_seconds_;
  AtomicHistogram log_sync_seconds_;
  AtomicHistogram ack_seconds_;
};

}  // namespace slurp::metrics
