// What `slurp-monitor --top` shows, as lines of text; terminal handling
// and polling live elsewhere (top_mode.h). The screen, top to bottom:
//   title      tool, config file, local time, "q quits" (on a terminal)
//   cluster    leader, term, commit index, who answered and how long ago
//              (or why no node answered)
//   members    node, state, healthy, match index, lag
//   queue      per priority (emergency first) queued/active/completed/
//              failed, a total row, then waiting, cache hits, retries,
//              dead-lettered
//   throughput completions per second over the last 60 s (sparkline)
//   workers    name, completed, failed, last seen (the leader's view)
//   failures   the newest job.failed / job.dead_lettered events: time,
//              job id, address, reason
// Lines are cut to the width. When the height is short the blank lines
// and idle priorities go first, then the workers and failures lists
// shrink, then the bottom is cut.
//
// Plain data; one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "protocol/messages.h"
#include "tools/monitor/status_poller.h"
#include "tools/monitor/throughput.h"

namespace slurp::monitor {

struct TopFailure {
  std::uint64_t time_ms = 0;  // the leader's wall clock
  std::string topic;          // job.failed or job.dead_lettered
  std::string job_id;
  std::string address;
  std::string reason;
};

struct ViewSize {
  std::size_t columns = 80;
  // 0: as many as needed, not interactive (frames on a non-terminal).
  std::size_t rows = 0;
};

class TopView {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t failures_max = 10;

  explicit TopView(std::string config_path);

  void on_status(const StatusSample& sample);
  // Keeps job.failed and job.dead_lettered; ignores the rest.
  void on_event(const Event& event);

  // The screen at `now` (steady, for ages) and `wall_ms` (for the clock).
  std::vector<std::string> render(const ViewSize& size, bool color,
                                  Clock::time_point now,
                                  std::uint64_t wall_ms) const;

  const std::deque<TopFailure>& failures() const { return failures_; }

 private:
  std::vector<std::string> title(bool color, std::uint64_t wall_ms,
                                 std::size_t columns, bool interactive) const;
  std::vector<std::string> cluster(bool color, Clock::time_point now) const;
  std::vector<std::string> members(bool color) const;
  // skip_idle: no row for a priority with all counts 0.
  std::vector<std::string> queue(bool color, bool skip_idle) const;
  std::vector<std::string> throughput(bool color, std::size_t columns) const;
  std::vector<std::string> workers(bool color, std::size_t rows_max) const;
  std::vector<std::string> failure_lines(bool color,
                                         std::size_t rows_max) const;

  std::string config_path_;
  std::optional<StatusReply> status_;  // the newest answer
  std::string answered_by_;
  Clock::time_point status_at_{};
  std::string error_;  // the newest poll failed: why; "" when it answered
  Throughput throughput_;
  std::deque<TopFailure> failures_;  // newest first
};

}  // namespace slurp::monitor
