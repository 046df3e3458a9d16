// The workers a leader hears from, and how fast results come in: the
// `workers`, `completed_per_s` and `failed_per_s` of status. Workers send
// nothing but results, so a worker is "seen" when a results batch from it
// arrives; one silent for worker_forget_ms is dropped. Leader-local and
// not replicated: after a failover the new leader learns the workers from
// their next results.
//
// Sans-IO (time comes in as now_ms); single-threaded: the node thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "protocol/messages.h"

namespace slurp::node {

class WorkerRegistry {
 public:
  void record(const std::string& worker, std::uint64_t completed,
              std::uint64_t failed, std::uint64_t now_ms);
  // Most recently seen first, at most status_workers_max.
  std::vector<WorkerStatus> workers(std::uint64_t now_ms) const;
  double completed_per_s(std::uint64_t now_ms) const;
  double failed_per_s(std::uint64_t now_ms) const;

 private:
  struct Seen {
    std::uint64_t completed = 0, failed = 0, last_ms = 0;
  };
  struct Bucket {  // one second of results
    std::uint64_t second = 0, completed = 0, failed = 0;
  };
  void forget(std::uint64_t now_ms);
  double rate(std::uint64_t now_ms, bool completed) const;

  std::map<std::string, Seen> seen_;
  std::deque<Bucket> buckets_;  // oldest first, within the rate window
};

}  // namespace slurp::node
