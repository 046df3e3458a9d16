// The leader-only queries: which jobs to lease next, which leases ran out,
// when the next deadline falls, and a leased job as a worker sees it. They
// read the derived indexes and change nothing, so they need not replicate.
#include <algorithm>
#include <array>
#include <cassert>

#include "src/state/state_machine.h"

namespace slurp::state {
namespace {

constexpr std::uint64_t kEmergency =
    static_cast<std::uint64_t>(Priority::emergency);

}  // namespace

// A k-way merge of the per-priority FIFOs. Within one FIFO the oldest job
// has the highest effective priority, so only the five heads compete, and
// the merged order is the rule's total order: effective priority (desc),
// queued_since_ms, job id.
std::vector<DispatchPick> StateMachine::next_dispatch(
    std::uint64_t now_ms, std::size_t limit,
    const std::set<std::uint64_t>& exclude) const {
  struct Head {
    IdIndex::const_iterator it, end;
    std::uint64_t priority;
  };
  std::array<Head, kPriorities> heads;
  for (std::size_t p = 0; p < kPriorities; ++p) {
    heads[p] = {ready_[p].begin(), ready_[p].end(), p};
  }
  auto effective = [&](const Head& h) {
    const std::uint64_t waited = now_ms - h.it->first;  // it->first ≤ now_ms
    return std::min(kEmergency,
                    h.priority + waited / limits_.aging_interval_ms);
  };
  std::vector<DispatchPick> picks;
  while (picks.size() < limit) {
    Head* best = nullptr;
    std::uint64_t best_effective = 0;
    for (Head& h : heads) {
      while (h.it != h.end && h.it->first <= now_ms &&
             exclude.count(h.it->second) != 0) {
        ++h.it;
      }
      if (h.it == h.end || h.it->first > now_ms) continue;
      const std::uint64_t e = effective(h);
      if (best == nullptr || e > best_effective ||
          (e == best_effective && *h.it < *best->it)) {
        best = &h;
        best_effective = e;
      }
    }
    if (best == nullptr) break;
    auto job = jobs_.find(best->it->second);
    assert(job != jobs_.end() && job->second.state == JobState::queued);
    picks.push_back({job->first, job->second.attempts + 1});
    ++best->it;
  }
  return picks;
}

std::vector<LeasedJob> StateMachine::expired_leases(std::uint64_t now_ms,
                                                    std::size_t limit) const {
  std::vector<LeasedJob> expired;
  for (auto it = leases_.begin();
       it != leases_.end() && it->first <= now_ms && expired.size() < limit;
       ++it) {
    auto job = jobs_.find(it->second);
    assert(job != jobs_.end() && job->second.state == JobState::active);
    expired.push_back({job->first, job->second.attempts, it->first});
  }
  return expired;
}

std::optional<std::uint64_t> StateMachine::earliest_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

std::vector<LeasedJob> StateMachine::active_jobs() const {
  std::vector<LeasedJob> active;
  active.reserve(leases_.size());
  for (const auto& [until, id] : leases_) {
    active.push_back({id, jobs_.at(id).attempts, until});
  }
  std::sort(active.begin(), active.end(),
            [](const LeasedJob& a, const LeasedJob& b) {
              return a.job_id < b.job_id;
            });
  return active;
}

std::optional<Job> StateMachine::job_for_dispatch(
    std::uint64_t job_id, std::uint64_t attempt, std::uint64_t lease_ms) const {
  const JobRecord* record = job(job_id);
  if (record == nullptr) return std::nullopt;
  Job d;
  d.job_id = job_id;
  d.attempt = attempt;
  d.lease_ms = lease_ms;
  d.address = record->address;
  d.role = record->role;
  d.priority = record->priority;
  d.content = record->content;
  // Only a hash the leader verified goes to the worker (which then need
  // not hash the content again); for anything else the worker computes
  // the hash of what it reads, and that is what the cache keys on.
  if (record->content_hash_verified) d.content_hash = record->content_hash;
  d.file_path = record->file_path;
  d.depends_on = record->depends_on;
  d.failed_dependencies = record->failed_dependencies;
  // d.dependencies, what a directory's roll-up is made from, stays empty:
  // the node fills it from contexts.db away from its thread
  // (context::fill_dependencies).
  return d;
}

}  // namespace slurp::state
