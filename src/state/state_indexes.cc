// The state machine's derived indexes: everything here is a function of
// jobs_ and is rebuilt by restore(), so none of it is in snapshots.
#include <cassert>
#include <cstdint>
#include <string>

#include "src/state/state_machine.h"

namespace slurp::state {
namespace {

std::size_t priority_index(Priority priority) {
  return static_cast<std::size_t>(priority);
}

std::size_t state_index(JobState state) {
  return static_cast<std::size_t>(state);
}

// FNV-1a: fixed, so every node (and every build) files a job under the
// same key. Only a lookup key; matches are confirmed on the address.
std::uint64_t address_key(std::string_view address) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : address) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

template <class Index>
void erase_entry(Index& index, std::uint64_t key, std::uint64_t job_id) {
  [[maybe_unused]] const std::size_t erased = index.erase({key, job_id});
  assert(erased == 1);
}

}  // namespace

void StateMachine::index_job(const JobRecord& job) {
  const std::size_t p = priority_index(job.priority);
  ++counts_[p][state_index(job.state)];
  if (job_state_ended(job.state)) return;
  open_by_address_.emplace(address_key(job.address), job.job_id);
  if (job.deadline_ms) deadlines_.emplace(*job.deadline_ms, job.job_id);
  switch (job.state) {
    case JobState::waiting:
      for (std::uint64_t dep : job.waiting_on) {
        dependants_.emplace(dep, job.job_id);
      }
      ++requester_jobs_[job.requester];
      break;
    case JobState::queued:
      ready_[p].emplace(job.queued_since_ms, job.job_id);
      ++requester_jobs_[job.requester];
      break;
    case JobState::active:
      leases_.emplace(job.lease_until_ms, job.job_id);
      break;
    default: break;
  }
}

void StateMachine::unindex_job(const JobRecord& job) {
  const std::size_t p = priority_index(job.priority);
  std::uint64_t& n = counts_[p][state_index(job.state)];
  assert(n > 0);
  --n;
  if (job_state_ended(job.state)) return;
  erase_entry(open_by_address_, address_key(job.address), job.job_id);
  if (job.deadline_ms) erase_entry(deadlines_, *job.deadline_ms, job.job_id);
  auto drop_requester_job = [this](const std::string& requester) {
    auto it = requester_jobs_.find(requester);
    assert(it != requester_jobs_.end() && it->second > 0);
    if (--it->second == 0) requester_jobs_.erase(it);
  };
  switch (job.state) {
    case JobState::waiting:
      for (std::uint64_t dep : job.waiting_on) {
        erase_entry(dependants_, dep, job.job_id);
      }
      drop_requester_job(job.requester);
      break;
    case JobState::queued:
      erase_entry(ready_[p], job.queued_since_ms, job.job_id);
      drop_requester_job(job.requester);
      break;
    case JobState::active:
      erase_entry(leases_, job.lease_until_ms, job.job_id);
      break;
    default: break;
  }
}

void StateMachine::rebuild_indexes() {
  counts_ = {};
  for (IdIndex& ready : ready_) ready.clear();
  leases_.clear();
  deadlines_.clear();
  open_by_address_.clear();
  dependants_.clear();
  requester_jobs_.clear();
  for (const auto& [id, job] : jobs_) index_job(job);
}

template <class Accept>
std::optional<std::uint64_t> StateMachine::newest_open_job_if(
    const std::string& address, Accept accept) const {
  const std::uint64_t key = address_key(address);
  // Newest first: the entries of one key ascend by id.
  auto it = open_by_address_.upper_bound({key, UINT64_MAX});
  while (it != open_by_address_.begin()) {
    --it;
    if (it->first != key) break;
    auto job = jobs_.find(it->second);
    assert(job != jobs_.end());
    if (job->second.address == address && accept(job->second)) {
      return it->second;
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> StateMachine::newest_open_job(
    const std::string& address) const {
  return newest_open_job_if(address, [](const JobRecord&) { return true; });
}

// The attach rule (header, step 3): same hash and role, and the job's
// bytes are the ones the request means: verified, or the same file to read
// for a request that claims no more than the job did.
std::optional<std::uint64_t> StateMachine::attachable_job(
    const EnqueueCommand& command) const {
  return newest_open_job_if(command.address, [&](const JobRecord& job) {
    if (job.content_hash != command.content_hash || job.role != command.role) {
      return false;
    }
    if (job.content_hash_verified) return true;
    return !command.content_hash_verified && !job.content && !command.content &&
           job.file_path == command.file_path;
  });
}

}  // namespace slurp::state
