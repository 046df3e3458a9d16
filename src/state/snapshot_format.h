// The state machine's snapshot format and the limits it is decoded with.
//
// A snapshot is a sequence of frames (src/state/snapshot_frames.h), each a
// bare msgpack map (protocol/record_codec.h): first the SnapshotData record
// below (the core: everything but the stored contexts), then one
// StoredContext per stored address in ascending address order,
// SnapshotData.context_count of them. The core is bounded by the queue's
// and the dedup window's limits; the contexts are as many as the store
// holds, so they are framed one by one and never decoded as one tree
// (a reader holds one at a time). Containers are written in a fixed order
// (jobs by id, requests and ended jobs oldest first), so two equal states
// give identical bytes. `format` is checked on restore; a
// change to the layout takes the next number, and restore accepts only the
// current one (a node that cannot read its peers' snapshots must be
// upgraded, not guess). The derived indexes (ready queues, leases,
// deadlines, dependants) are not written: restore rebuilds them.
//
// Format 3: the frames above (format 2 was one map with a contexts array).
// Format 2: job states include "waiting"; jobs carry attempts,
// queued_since_ms, lease_until_ms, waiting_on, failed_dependencies;
// contexts carry the generating job's meta; the queue counters; jobs no
// longer carry request_id (the requests list has it). Later additions are
// defaulted fields, so format 2 snapshots without them still restore:
// jobs' content_hash_verified (false) and attached_others (0), contexts'
// owner ("": unowned) and meta content_hash_verified (false: no cache hit),
// and the audit anchors (absent: none anchored yet).
// Plain data; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "protocol/limits.h"
#include "protocol/messages.h"
#include "protocol/msgpack_scan.h"
#include "protocol/result.h"
#include "src/state/state_machine.h"

namespace slurp::state {

inline constexpr std::uint64_t snapshot_format_version = 3;

// The core frame holds the queue, the ended jobs and the dedup window in
// one record, far above one message.
inline constexpr std::size_t snapshot_bytes_max = 256 * 1024 * 1024;
// The longest array is the request-id FIFO (StateLimits::request_ids_max,
// 1'000'000 by default); the jobs array holds queued + active + ended jobs.
inline constexpr std::size_t snapshot_array_items_max = 4 * 1024 * 1024;
// Bounds the decoded tree (~24 bytes per object): at most ~800 MiB.
inline constexpr std::size_t snapshot_objects_max = 32 * 1024 * 1024;
// The deepest path is snapshot → jobs → job → depends_on (4 containers);
// a context frame's is stored → context → symbols → symbol. Both are
// inside the wire limit of 8.
inline constexpr std::size_t snapshot_depth_max = limits::msgpack_depth_max;

inline constexpr MsgpackLimits snapshot_msgpack_limits{
    .bytes_max = snapshot_bytes_max,
    .depth_max = snapshot_depth_max,
    .array_items_max = snapshot_array_items_max,
    .objects_max = snapshot_objects_max,
};

static_assert(StateLimits{}.request_ids_max <= snapshot_array_items_max);
static_assert(StateLimits{}.queue_depth_max + StateLimits{}.ended_jobs_max <=
              snapshot_array_items_max);

// One remembered deduplication key and the job it was answered with.
struct RememberedRequest {
  std::string requester;
  std::string request_id;
  std::uint64_t job_id = 0;
  template <class V>
  void fields(V& v) {
    v.req("requester", requester);
    v.req("request_id", request_id);
    v.req("job_id", job_id);
  }
  bool operator==(const RememberedRequest&) const = default;
};

// Ended jobs of one priority that are no longer remembered but still count
// in queue_counts().
struct ForgottenEnded {
  Priority priority = Priority::normal;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;  // failed + dead_lettered
  template <class V>
  void fields(V& v) {
    v.req("priority", priority);
    v.req("completed", completed);
    v.req("failed", failed);
  }
  bool operator==(const ForgottenEnded&) const = default;
};

struct SnapshotData {
  std::uint64_t format = snapshot_format_version;
  std::uint64_t applied_index = 0;
  std::uint64_t next_job_id = 1;
  std::vector<JobRecord> jobs;                  // ascending job_id
  std::uint64_t context_count = 0;              // context frames that follow
  std::uint64_t context_bytes = 0;              // their records' bytes
  std::vector<RememberedRequest> requests;      // oldest first
  std::vector<std::uint64_t> ended_order;       // job ids, oldest end first
  std::vector<ForgottenEnded> forgotten_ended;  // low..emergency, all five
  QueueCounters counters;
  std::vector<AuditAnchorRecord> audit_anchors;  // ascending node id
  template <class V>
  void fields(V& v) {
    v.req("format", format);
    v.req("applied_index", applied_index);
    v.req("next_job_id", next_job_id);
    v.req("jobs", jobs);
    v.req("context_count", context_count);
    v.def("context_bytes", context_bytes);
    v.req("requests", requests);
    v.req("ended_order", ended_order);
    v.req("forgotten_ended", forgotten_ended);
    v.req("counters", counters);
    v.def("audit_anchors", audit_anchors);
  }
  bool operator==(const SnapshotData&) const = default;
};

// A whole snapshot decoded at once: for tests and inspection tools. The
// node never holds one (StateMachine::restore reads frame by frame).
struct SnapshotParts {
  SnapshotData core;
  std::vector<StoredContext> contexts;  // ascending address
};
// The frames of `parts`; core.context_count and context_bytes are taken
// from the contexts.
Bytes encode_snapshot(SnapshotParts parts);
// Errors: bad_request naming the frame or field (no checks of meaning:
// restore() does those).
Result<SnapshotParts> decode_snapshot(std::span<const std::uint8_t> bytes);

}  // namespace slurp::state
