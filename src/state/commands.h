// The commands of the replicated state machine: what a leader proposes to
// the Raft log, one command per entry. LogEntry::kind says which command
// the entry's data holds (a bare msgpack map, protocol/record_codec.h).
//
// Everything the state machine needs to apply a command deterministically
// is in the command, including the time: the leader stamps `time_ms` when
// it proposes, so every node applies the same clock value.
//
// Kind numbers are stable (they are on disk and on the wire); 0 is Raft's
// no-op. Plain data; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/messages.h"

namespace slurp::state {

enum class CommandKind : std::uint64_t {
  enqueue = 1,         // a client's generate
  cancel = 2,          // a client's cancel
  update_context = 3,  // a client's update_context
};

// A generate request, validated by the leader before it is proposed
// (address canonical, content within limits). `requester` and `role` come
// from the sender's authenticated key, never from the request.
struct EnqueueCommand {
  std::string request_id;
  std::string requester;
  std::string role;
  std::string address;  // canonical UCXL address
  std::optional<Bytes> content;
  std::optional<std::string> content_hash;
  std::optional<std::string> file_path;
  Priority priority = Priority::normal;
  std::vector<std::string> depends_on;  // canonical UCXL addresses
  std::optional<std::uint64_t> deadline_ms;
  std::uint64_t time_ms = 0;  // leader's clock at proposal
  template <class V>
  void fields(V& v) {
    v.req("request_id", request_id);
    v.req("requester", requester);
    v.req("role", role);
    v.req("address", address);
    v.opt("content", content);
    v.opt("content_hash", content_hash);
    v.opt("file_path", file_path);
    v.def("priority", priority);
    v.def("depends_on", depends_on);
    v.opt("deadline_ms", deadline_ms);
    v.req("time_ms", time_ms);
  }
  bool operator==(const EnqueueCommand&) const = default;
};

struct CancelCommand {
  std::uint64_t job_id = 0;
  std::string requester;
  std::uint64_t time_ms = 0;
  template <class V>
  void fields(V& v) {
    v.req("job_id", job_id);
    v.req("requester", requester);
    v.req("time_ms", time_ms);
  }
  bool operator==(const CancelCommand&) const = default;
};

struct UpdateContextCommand {
  Context context;  // context.address canonical
  std::string requester;
  std::uint64_t time_ms = 0;
  template <class V>
  void fields(V& v) {
    v.req("context", context);
    v.req("requester", requester);
    v.req("time_ms", time_ms);
  }
  bool operator==(const UpdateContextCommand&) const = default;
};

}  // namespace slurp::state
