// StateMachine::snapshot() and restore(): the whole replicated state as
// frames (src/state/snapshot_format.h): the SnapshotData core, then the
// stored contexts one by one.
#include <algorithm>
#include <cassert>
#include <set>
#include <string>
#include <utility>

#include "protocol/record_codec.h"
#include "src/state/snapshot_format.h"
#include "src/state/snapshot_frames.h"
#include "src/state/state_machine.h"

namespace slurp::state {
namespace {

constexpr Priority kPriorityOrder[] = {Priority::low, Priority::normal,
                                       Priority::high, Priority::critical,
                                       Priority::emergency};

Error not_a_snapshot(std::string reason, std::string field) {
  return make_error(ErrorCode::bad_request, std::move(reason),
                    std::move(field));
}

std::string at(std::string_view array, std::size_t i) {
  return std::string(array) + "[" + std::to_string(i) + "]";
}

// Ascending ids (hence unique), each issued: 0 < id < next_job_id.
Status check_job_ids(const SnapshotData& data) {
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < data.jobs.size(); ++i) {
    const std::uint64_t id = data.jobs[i].job_id;
    if (id <= previous || id >= data.next_job_id) {
      return not_a_snapshot("job ids must ascend and stay below next_job_id " +
                                std::to_string(data.next_job_id),
                            at("jobs", i) + ".job_id");
    }
    previous = id;
  }
  return ok_status();
}

const JobRecord* find_job(const SnapshotData& data, std::uint64_t id) {
  auto it = std::lower_bound(
      data.jobs.begin(), data.jobs.end(), id,
      [](const JobRecord& job, std::uint64_t key) { return job.job_id < key; });
  return it == data.jobs.end() || it->job_id != id ? nullptr : &*it;
}

// What the indexes and transitions assume of one job: a waiting job waits
// for older, not-ended jobs (ascending, so the graph stays acyclic) and no
// other state waits; an active job holds an attempt.
Status check_job_links(const SnapshotData& data, std::size_t i) {
  const JobRecord& job = data.jobs[i];
  if ((job.state == JobState::waiting) == job.waiting_on.empty()) {
    return not_a_snapshot("a job waits for dependencies exactly when waiting",
                          at("jobs", i) + ".waiting_on");
  }
  std::uint64_t previous = 0;
  for (std::size_t k = 0; k < job.waiting_on.size(); ++k) {
    const std::uint64_t dep = job.waiting_on[k];
    const JobRecord* target = find_job(data, dep);
    if (dep <= previous || dep >= job.job_id || target == nullptr ||
        job_state_ended(target->state)) {
      return not_a_snapshot(
          "must name older, not-ended jobs in ascending order",
          at(at("jobs", i) + ".waiting_on", k));
    }
    previous = dep;
  }
  if (job.state == JobState::active && job.attempts == 0) {
    return not_a_snapshot("an active job has an attempt",
                          at("jobs", i) + ".attempts");
  }
  return ok_status();
}

Status check_jobs(const SnapshotData& data) {
  if (Status s = check_job_ids(data); !s) return s;
  for (std::size_t i = 0; i < data.jobs.size(); ++i) {
    if (Status s = check_job_links(data, i); !s) return s;
  }
  return ok_status();
}

Status check_requests(const SnapshotData& data) {
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < data.requests.size(); ++i) {
    const RememberedRequest& r = data.requests[i];
    if (!seen.emplace(r.requester, r.request_id).second) {
      return not_a_snapshot("request remembered twice", at("requests", i));
    }
    if (r.job_id == 0 || r.job_id >= data.next_job_id) {
      return not_a_snapshot("job id never issued",
                            at("requests", i) + ".job_id");
    }
  }
  return ok_status();
}

// ended_order lists every ended job in jobs exactly once, and nothing else.
Status check_ended_order(const SnapshotData& data) {
  std::set<std::uint64_t> seen;
  for (std::size_t i = 0; i < data.ended_order.size(); ++i) {
    const std::uint64_t id = data.ended_order[i];
    const JobRecord* job = find_job(data, id);
    if (job == nullptr || !job_state_ended(job->state) ||
        !seen.insert(id).second) {
      return not_a_snapshot("not an ended job, or listed twice",
                            at("ended_order", i));
    }
  }
  const auto ended = std::count_if(
      data.jobs.begin(), data.jobs.end(),
      [](const JobRecord& job) { return job_state_ended(job.state); });
  if (static_cast<std::size_t>(ended) != seen.size()) {
    return not_a_snapshot("an ended job is missing from the end order",
                          "ended_order");
  }
  return ok_status();
}

Status check_forgotten(const SnapshotData& data) {
  if (data.forgotten_ended.size() != std::size(kPriorityOrder)) {
    return not_a_snapshot("one entry per priority expected", "forgotten_ended");
  }
  for (std::size_t i = 0; i < data.forgotten_ended.size(); ++i) {
    if (data.forgotten_ended[i].priority != kPriorityOrder[i]) {
      return not_a_snapshot("priorities must run low..emergency",
                            at("forgotten_ended", i) + ".priority");
    }
  }
  return ok_status();
}

Status check_audit_anchors(const SnapshotData& data) {
  if (data.audit_anchors.size() > limits::audit_anchor_nodes_max) {
    return not_a_snapshot("more anchored nodes than audit_anchor_nodes_max",
                          "audit_anchors");
  }
  for (std::size_t i = 1; i < data.audit_anchors.size(); ++i) {
    if (data.audit_anchors[i].node <= data.audit_anchors[i - 1].node) {
      return not_a_snapshot("anchor node ids must ascend (no duplicates)",
                            at("audit_anchors", i) + ".node");
    }
  }
  return ok_status();
}

Status check_snapshot(const SnapshotData& data) {
  if (data.format != snapshot_format_version) {
    return not_a_snapshot("unknown snapshot format " +
                              std::to_string(data.format) + "; expected " +
                              std::to_string(snapshot_format_version),
                          "format");
  }
  if (data.next_job_id == 0) {
    return not_a_snapshot("job ids start at 1", "next_job_id");
  }
  for (auto check : {check_jobs, check_requests, check_ended_order,
                     check_forgotten, check_audit_anchors}) {
    if (Status s = check(data); !s) return s;
  }
  return ok_status();
}

}  // namespace

Bytes encode_snapshot(SnapshotParts parts) {
  parts.core.context_count = parts.contexts.size();
  parts.core.context_bytes = 0;
  for (const StoredContext& stored : parts.contexts) {
    parts.core.context_bytes += encode_record(stored).size();
  }
  Bytes out;
  append_frame(out, encode_record(parts.core));
  for (const StoredContext& stored : parts.contexts) {
    append_frame(out, encode_record(stored));
  }
  return out;
}

Result<SnapshotParts> decode_snapshot(std::span<const std::uint8_t> bytes) {
  FrameReader frames(bytes);
  SnapshotParts parts;
  for (bool first = true;; first = false) {
    auto frame = frames.next();
    if (!frame) return frame.error();
    if (!*frame) break;
    if (first) {
      Result<SnapshotData> core =
          decode_record<SnapshotData>(**frame, snapshot_msgpack_limits);
      if (!core) return core.error();
      parts.core = std::move(*core);
      continue;
    }
    Result<StoredContext> stored = decode_record<StoredContext>(**frame);
    if (!stored) return stored.error();
    parts.contexts.push_back(std::move(*stored));
  }
  return parts;
}

Bytes StateMachine::core_snapshot() const {
  SnapshotData data;
  data.applied_index = applied_index_;
  data.next_job_id = next_job_id_;
  data.jobs.reserve(jobs_.size());
  for (const auto& [id, job] : jobs_) data.jobs.push_back(job);
  data.context_count = context_count_;
  data.context_bytes = context_bytes_;
  data.requests.reserve(requests_.size());
  requests_.for_each([&](const RequestWindow::Key& key, std::uint64_t job_id) {
    data.requests.push_back({key.first, key.second, job_id});
  });
  data.ended_order.assign(ended_order_.begin(), ended_order_.end());
  for (std::size_t p = 0; p < kPriorities; ++p) {
    data.forgotten_ended.push_back(
        {kPriorityOrder[p], forgotten_completed_[p], forgotten_failed_[p]});
  }
  data.counters = counters_;
  for (const auto& [node, anchor] : audit_anchors_) {
    data.audit_anchors.push_back(anchor);
  }
  return encode_record(data);
}

Bytes StateMachine::snapshot() const {
  Bytes out;
  append_frame(out, core_snapshot());
  store_->scan("", "", [&](const StoredContext& stored) {
    append_frame(out, encode_record(stored));
    return true;
  });
  return out;
}

namespace {

Result<SnapshotData> read_core(FrameReader& frames) {
  auto first = frames.next();
  if (!first) return not_a_snapshot(first.error().reason, "frames");
  if (!*first) return not_a_snapshot("no core record", "frames");
  Result<SnapshotData> data =
      decode_record<SnapshotData>(**first, snapshot_msgpack_limits);
  if (!data) {
    // too_large included: bytes this node cannot load are not a snapshot.
    return not_a_snapshot(data.error().reason, data.error().field);
  }
  if (Status s = check_snapshot(*data); !s) return s.error();
  return data;
}

// Calls `each` with every context frame, checked: exactly
// data.context_count of them, addresses ascending, nothing after.
template <class Each>
Status read_contexts(FrameReader& frames, const SnapshotData& data, Each each) {
  std::string previous;
  std::uint64_t bytes = 0;
  for (std::uint64_t i = 0;; ++i) {
    auto frame = frames.next();
    if (!frame) return not_a_snapshot(frame.error().reason, "frames");
    if (!*frame) {
      if (i == data.context_count && bytes == data.context_bytes) {
        return ok_status();
      }
      if (i == data.context_count) {
        return not_a_snapshot(
            "the contexts' records hold " + std::to_string(bytes) +
                " bytes, the core says " + std::to_string(data.context_bytes),
            "context_bytes");
      }
      return not_a_snapshot("holds " + std::to_string(i) +
                                " contexts, the core says " +
                                std::to_string(data.context_count),
                            "context_count");
    }
    const std::string field = at("contexts", i);
    if (i == data.context_count) {
      return not_a_snapshot("a frame after the last context", field);
    }
    Result<StoredContext> stored = decode_record<StoredContext>(**frame);
    if (!stored) {
      return not_a_snapshot(stored.error().reason,
                            field + "." + stored.error().field);
    }
    if (i > 0 && stored->context.address <= previous) {
      return not_a_snapshot("context addresses must ascend (no duplicates)",
                            field + ".context.address");
    }
    previous = stored->context.address;
    bytes += (*frame)->size();
    each(std::move(*stored));
  }
}

}  // namespace

Status StateMachine::restore(std::span<const std::uint8_t> bytes) {
  FrameReader frames(bytes);
  Result<SnapshotData> data = read_core(frames);
  if (!data) return data.error();
  // Every frame is checked before the store is touched, so a bad snapshot
  // leaves the state as it was; the second pass decodes them again, one at
  // a time, rather than holding the whole store decoded.
  FrameReader check = frames;
  if (Status s = read_contexts(check, *data, [](StoredContext&&) {}); !s) {
    return s;
  }
  store_->clear();
  store_->begin_entry(data->applied_index);
  Status s = read_contexts(
      frames, *data, [&](StoredContext&& stored) { store_->put(stored); });
  assert(s);
  (void)s;
  return adopt_core(std::move(*data));
}

Status StateMachine::restore_core(std::span<const std::uint8_t> bytes) {
  FrameReader frames(bytes);
  Result<SnapshotData> data = read_core(frames);
  if (!data) return data.error();
  return adopt_core(std::move(*data));
}

Status StateMachine::adopt_core(SnapshotData data) {
  // Built aside and swapped in, so a failure above leaves the state as is;
  // the store stays ours.
  StateMachine next(limits_);
  next.applied_index_ = data.applied_index;
  next.next_job_id_ = data.next_job_id;
  for (JobRecord& job : data.jobs) {
    next.jobs_.emplace_hint(next.jobs_.end(), job.job_id, std::move(job));
  }
  next.context_count_ = data.context_count;
  next.context_bytes_ = data.context_bytes;
  // Keys are unique (checked), and the window may exceed this node's
  // request_ids_max only if the leader's is larger: keep them all then.
  const std::uint64_t keys_max =
      std::max<std::uint64_t>(limits_.request_ids_max, data.requests.size());
  for (RememberedRequest& r : data.requests) {
    next.requests_.remember({std::move(r.requester), std::move(r.request_id)},
                            r.job_id, keys_max);
  }
  next.ended_order_.assign(data.ended_order.begin(), data.ended_order.end());
  for (std::size_t p = 0; p < kPriorities; ++p) {
    next.forgotten_completed_[p] = data.forgotten_ended[p].completed;
    next.forgotten_failed_[p] = data.forgotten_ended[p].failed;
  }
  next.counters_ = data.counters;
  for (AuditAnchorRecord& anchor : data.audit_anchors) {
    std::string node = anchor.node;
    next.audit_anchors_.emplace_hint(next.audit_anchors_.end(), std::move(node),
                                     std::move(anchor));
  }
  next.rebuild_indexes();
  next.store_ = std::move(store_);
  *this = std::move(next);
  return ok_status();
}

}  // namespace slurp::state
