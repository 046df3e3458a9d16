#include "src/metrics/node_metrics.h"

#include <array>
#include <string>
#include <system_error>

#include "protocol/messages.h"
#include "src/metrics/families.h"

namespace slurp::metrics {

namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr auto relaxed = std::memory_order_relaxed;

double value(const std::atomic<std::uint64_t>& v) {
  return static_cast<double>(v.load(relaxed));
}

// The wire names of ClientRequestMessage's alternatives ("generate"), by
// variant index.
template <std::size_t... I>
constexpr std::array<std::string_view, sizeof...(I)> request_type_names(
    std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, ClientRequestMessage>::kType...};
}

constexpr auto kRequestTypeNames = request_type_names(
    std::make_index_sequence<std::variant_size_v<ClientRequestMessage>>());

std::string_view request_type_name(std::size_t index) {
  return kRequestTypeNames[index];
}

std::string priority_name(std::size_t p) {
  return std::string(enum_to_wire(static_cast<Priority>(p)));
}

// Bytes of the files in `dir` whose names start with `prefix`; 0 if none.
double file_bytes(const std::filesystem::path& dir, std::string_view prefix) {
  std::error_code ec;
  std::uint64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.path().filename().string().starts_with(prefix)) continue;
    const auto size = entry.file_size(ec);
    if (!ec) total += size;
  }
  return static_cast<double>(total);
}

// Seconds buckets: 0.5 ms to 2.5 s, roughly 1-2.5-5 per decade.
std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,   0.25,   0.5,   1,    2.5};
}

MetricFamily histogram(std::string name, std::string help,
                       const AtomicHistogram& h) {
  auto f = family(std::move(name), std::move(help), MetricType::Histogram);
  f.metric.push_back(h.collect());
  return f;
}

}  // namespace

NodeMetrics::NodeMetrics(Sources sources)
    : sources_(std::move(sources)),
      peer_lag_(sources_.members.size()),
      turn_seconds_(latency_buckets()),
      log_sync_seconds_(latency_buckets()),
      ack_seconds_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                    2.5, 5, 10}) {}

void NodeMetrics::turn_done(std::uint64_t end_steady_ms,
                            std::uint64_t work_us) {
  last_turn_ms_.store(end_steady_ms, relaxed);
  turns_.fetch_add(1, relaxed);
  turn_seconds_.observe(static_cast<double>(work_us) / 1e6);
}

void NodeMetrics::set_raft(const RaftView& raft) {
  term_.store(raft.term, relaxed);
  commit_.store(raft.commit_index, relaxed);
  applied_.store(raft.applied_index, relaxed);
  last_index_.store(raft.last_index, relaxed);
  leader_.store(raft.leader, relaxed);
  leader_member_.store(raft.leader_member, relaxed);
  leader_contact_ms_.store(raft.leader_contact_ms, relaxed);
  // Seen once a turn: a campaign that starts and ends within one turn is
  // not counted (docs/METRICS.md says so).
  if (raft.candidate && !was_candidate_) elections_.fetch_add(1, relaxed);
  was_candidate_ = raft.candidate;
  if (raft.leader_member != last_leader_member_ && raft.leader_member >= 0) {
    leader_changes_.fetch_add(1, relaxed);
  }
  last_leader_member_ = raft.leader_member;
}

void NodeMetrics::set_peer_lag(std::size_t member, std::uint64_t entries) {
  if (member < peer_lag_.size()) peer_lag_[member].store(entries, relaxed);
}

void NodeMetrics::set_queue(const QueueView& q) {
  for (std::size_t p = 0; p < priorities; ++p) {
    queued_[p].store(q.queued[p], relaxed);
    active_[p].store(q.active[p], relaxed);
    completed_[p].store(q.completed[p], relaxed);
    failed_[p].store(q.failed[p], relaxed);
  }
  waiting_.store(q.waiting, relaxed);
  cache_hits_.store(q.cache_hits, relaxed);
  attached_.store(q.attached, relaxed);
  duplicates_.store(q.duplicate_generations, relaxed);
  late_results_.store(q.late_results, relaxed);
  dead_lettered_.store(q.dead_lettered, relaxed);
  retries_.store(q.retries, relaxed);
  contexts_.store(q.contexts, relaxed);
  context_bytes_.store(q.context_bytes, relaxed);
  workers_seen_.store(q.workers_seen, relaxed);
}

void NodeMetrics::request_received(std::size_t type) {
  if (type < request_types) requests_[type].fetch_add(1, relaxed);
}

void NodeMetrics::request_refused(std::optional<std::size_t> type,
                                  ErrorCode code) {
  const std::size_t row = type && *type < request_types ? *type + 1 : 0;
  for (std::size_t c = 0; c < error_codes; ++c) {
    if (kAllErrorCodes[c] == code) refused_[row][c].fetch_add(1, relaxed);
  }
}

std::vector<MetricFamily> NodeMetrics::Collect() const {
  std::vector<MetricFamily> out;
  collect_raft(out);
  collect_queue(out);
  collect_requests(out);
  collect_storage(out);
  out.push_back(histogram("slurp_loop_turn_seconds",
                          "Work time of one turn of the node's event loop "
                          "(the wait for input excluded).",
                          turn_seconds_));
  out.push_back(counter("slurp_audit_records_total",
                        "Records written to this node's audit log.",
                        value(audit_records_)));
  if (sources_.zap_refusals) {
    out.push_back(counter("slurp_zap_refusals_total",
                          "CURVE handshakes refused by the ZAP handler "
                          "(unknown key, wrong domain).",
                          static_cast<double>(sources_.zap_refusals())));
  }
  for (auto& f : process_families()) out.push_back(std::move(f));
  return out;
}

void NodeMetrics::collect_raft(std::vector<MetricFamily>& out) const {
  out.push_back(gauge("slurp_raft_term", "Current Raft term.", value(term_)));
  out.push_back(gauge("slurp_raft_commit_index",
                      "Highest log index known to be committed.",
                      value(commit_)));
  out.push_back(gauge("slurp_raft_applied_index",
                      "Highest log index applied to the state machine.",
                      value(applied_)));
  out.push_back(gauge("slurp_raft_last_index",
                      "Highest index in this node's log.", value(last_index_)));
  out.push_back(gauge("slurp_raft_is_leader",
                      "1 if this node is the leader, else 0; "
                      "sum() over the cluster is the number of leaders.",
                      leader_.load(relaxed) ? 1 : 0));
  auto known = family("slurp_raft_leader",
                      "1 for the member this node believes leads, by id.",
                      MetricType::Gauge);
  const int leader = leader_member_.load(relaxed);
  for (std::size_t i = 0; i < sources_.members.size(); ++i) {
    add_sample(known, static_cast<int>(i) == leader ? 1 : 0,
               {{"leader", sources_.members[i]}});
  }
  out.push_back(std::move(known));
  out.push_back(counter("slurp_raft_elections_total",
                        "Campaigns this node started (it became a "
                        "pre-candidate or candidate).",
                        value(elections_)));
  out.push_back(counter("slurp_raft_leader_changes_total",
                        "Times this node saw a new leader.",
                        value(leader_changes_)));
  auto lag = family("slurp_raft_peer_lag_entries",
                    "Log entries a follower lacks of the leader's log; "
                    "exported by the leader only.",
                    MetricType::Gauge);
  if (leader_.load(relaxed)) {
    for (std::size_t i = 0; i < sources_.members.size(); ++i) {
      if (sources_.members[i] == sources_.node_id) continue;
      add_sample(lag, value(peer_lag_[i]), {{"peer", sources_.members[i]}});
    }
  }
  out.push_back(std::move(lag));
}

void NodeMetrics::collect_queue(std::vector<MetricFamily>& out) const {
  auto jobs = family("slurp_queue_jobs",
                     "Jobs in the replicated queue by priority and state "
                     "(queued includes waiting).",
                     MetricType::Gauge);
  auto ended = family("slurp_jobs_ended_total",
                      "Jobs that ended, by priority and outcome "
                      "(failed includes dead-lettered).",
                      MetricType::Counter);
  for (std::size_t p = 0; p < priorities; ++p) {
    const std::string name = priority_name(p);
    add_sample(jobs, value(queued_[p]),
               {{"priority", name}, {"state", "queued"}});
    add_sample(jobs, value(active_[p]),
               {{"priority", name}, {"state", "active"}});
    add_sample(ended, value(completed_[p]),
               {{"priority", name}, {"outcome", "completed"}});
    add_sample(ended, value(failed_[p]),
               {{"priority", name}, {"outcome", "failed"}});
  }
  out.push_back(std::move(jobs));
  out.push_back(std::move(ended));
  out.push_back(gauge("slurp_queue_waiting_jobs",
                      "Queued jobs waiting for their dependencies.",
                      value(waiting_)));
  out.push_back(counter("slurp_cache_hits_total",
                        "Generate requests answered from a stored context.",
                        value(cache_hits_)));
  out.push_back(counter("slurp_jobs_attached_total",
                        "Generate requests that joined an identical job.",
                        value(attached_)));
  out.push_back(counter("slurp_duplicate_generations_total",
                        "Results for jobs already completed or cancelled.",
                        value(duplicates_)));
  out.push_back(counter("slurp_late_results_total",
                        "Results for jobs failed, dead-lettered or unknown.",
                        value(late_results_)));
  out.push_back(counter("slurp_jobs_dead_lettered_total",
                        "Jobs given up after job_attempts_max attempts.",
                        value(dead_lettered_)));
  out.push_back(counter("slurp_jobs_retried_total",
                        "Failed attempts that queued the job again.",
                        value(retries_)));
  out.push_back(gauge("slurp_contexts", "Stored contexts.", value(contexts_)));
  out.push_back(gauge("slurp_contexts_bytes", "Bytes of stored contexts.",
                      value(context_bytes_)));
  out.push_back(gauge("slurp_workers_seen",
                      "Workers whose results reached this leader in the last "
                      "60 s; 0 on followers.",
                      value(workers_seen_)));
  out.push_back(counter("slurp_jobs_dispatched_total",
                        "Jobs this node leased to workers as leader.",
                        value(dispatched_)));
  out.push_back(counter("slurp_results_received_total",
                        "Job results this node accepted from workers.",
                        value(results_)));
}

void NodeMetrics::collect_requests(std::vector<MetricFamily>& out) const {
  auto requests = family("slurp_requests_total",
                         "Client requests this node decoded, by type.",
                         MetricType::Counter);
  for (std::size_t t = 0; t < request_types; ++t) {
    add_sample(requests, value(requests_[t]),
               {{"type", std::string(request_type_name(t))}});
  }
  out.push_back(std::move(requests));
  auto refused = family("slurp_request_refusals_total",
                        "Requests this node answered with an error, by type "
                        "(\"undecoded\" before decoding) and error code.",
                        MetricType::Counter);
  for (std::size_t row = 0; row <= request_types; ++row) {
    const std::string type =
        row == 0 ? "undecoded" : std::string(request_type_name(row - 1));
    for (std::size_t c = 0; c < error_codes; ++c) {
      const std::uint64_t n = refused_[row][c].load(relaxed);
      if (n == 0) continue;  // 14 x 13 series, nearly all zero
      add_sample(refused, static_cast<double>(n),
                 {{"type", type},
                  {"code", std::string(error_name(kAllErrorCodes[c]))}});
    }
  }
  out.push_back(std::move(refused));
  out.push_back(histogram("slurp_generate_ack_seconds",
                          "From a generate's arrival to its acknowledgement "
                          "after commit, on the node that answered it.",
                          ack_seconds_));
}

void NodeMetrics::collect_storage(std::vector<MetricFamily>& out) const {
  out.push_back(gauge("slurp_storage_log_bytes",
                      "Bytes of raft.db and its WAL (the Raft log).",
                      file_bytes(sources_.data_dir, "raft.db")));
  out.push_back(gauge("slurp_storage_snapshot_bytes",
                      "Bytes of snapshot files in the data directory.",
                      file_bytes(sources_.data_dir, "snapshot")));
  out.push_back(gauge("slurp_storage_contexts_db_bytes",
                      "Bytes of contexts.db and its WAL.",
                      file_bytes(sources_.data_dir, "contexts.db")));
  out.push_back(histogram("slurp_storage_log_sync_seconds",
                          "Time to write and fsync one batch of log entries "
                          "and hard state (one group commit).",
                          log_sync_seconds_));
}

HealthReport NodeMetrics::live(std::uint64_t steady_now_ms) const {
  HealthReport r;
  const std::uint64_t last = last_turn_ms_.load(relaxed);
  HealthCheck loop{"loop", false, ""};
  if (last == 0) {
    loop.detail = "no turn finished yet (starting)";
  } else {
    const std::uint64_t age = steady_now_ms > last ? steady_now_ms - last : 0;
    loop.ok = age <= live_turn_age_ms_max;
    loop.detail = "last turn ended " + std::to_string(age) +
                  " ms ago (at most " + std::to_string(live_turn_age_ms_max) +
                  "), " + std::to_string(turns_.load(relaxed)) + " turns";
  }
  r.checks.push_back(std::move(loop));
  return r;
}

HealthReport NodeMetrics::ready(std::uint64_t steady_now_ms) const {
  HealthReport r = live(steady_now_ms);
  r.checks.push_back({"member", !stopping_.load(relaxed),
                      stopping_.load(relaxed)
                          ? "shutting down"
                          : "voter " + sources_.node_id + " of " +
                                std::to_string(sources_.members.size())});
  HealthCheck leader{"leader", false, "none known"};
  const int m = leader_member_.load(relaxed);
  const std::string term = std::to_string(term_.load(relaxed));
  if (leader_.load(relaxed)) {
    leader = {"leader", true, "this node, term " + term};
  } else if (m >= 0 && static_cast<std::size_t>(m) < sources_.members.size()) {
    const std::uint64_t contact = leader_contact_ms_.load(relaxed);
    const std::uint64_t age =
        contact == 0 || steady_now_ms < contact ? 0 : steady_now_ms - contact;
    leader.ok = contact != 0 && age <= sources_.election_timeout_ms;
    leader.detail = sources_.members[static_cast<std::size_t>(m)] +
                    " in term " + term + ", heard " + std::to_string(age) +
                    " ms ago (at most " +
                    std::to_string(sources_.election_timeout_ms) + ")";
  }
  r.checks.push_back(std::move(leader));
  const std::uint64_t commit = commit_.load(relaxed);
  const std::uint64_t applied = applied_.load(relaxed);
  const std::uint64_t behind = commit > applied ? commit - applied : 0;
  r.checks.push_back({"applied", behind <= ready_apply_lag_entries_max,
                      "index " + std::to_string(applied) + " of commit " +
                          std::to_string(commit) + " (" +
                          std::to_string(behind) + " behind, at most " +
                          std::to_string(ready_apply_lag_entries_max) + ")"});
  return r;
}

}  // namespace slurp::metrics
