#include "tools/monitor/top_view.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <limits>

#include "tools/monitor/ansi.h"

namespace slurp::monitor {
namespace {

constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

struct Cell {
  std::string text;
  std::string_view sgr = "";
};
using Row = std::vector<Cell>;

// Columns padded to their widest cell, two spaces apart; the first row is
// the header, in bold.
std::vector<std::string> table(const std::vector<Row>& rows, bool color) {
  std::vector<std::size_t> widths;
  for (const Row& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], ansi::visible_width(row[i].text));
    }
  }
  std::vector<std::string> lines;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      const Cell& cell = rows[r][i];
      const std::string_view sgr = r == 0 ? ansi::bold : cell.sgr;
      line += ansi::paint(cell.text, sgr, color);
      if (i + 1 < rows[r].size()) {
        line +=
            std::string(widths[i] - ansi::visible_width(cell.text) + 2, ' ');
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string clock_text(std::uint64_t wall_ms) {
  const auto seconds = static_cast<std::time_t>(wall_ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  std::array<char, 16> text{};
  std::strftime(text.data(), text.size(), "%H:%M:%S", &local);
  return text.data();
}

std::string fixed1(double value) {
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.1f", value);
  return text.data();
}

std::string age_text(std::uint64_t ms) {
  if (ms < 60000) return fixed1(static_cast<double>(ms) / 1000.0) + " s ago";
  return std::to_string(ms / 60000) + " min ago";
}

std::uint64_t completed_total(const StatusReply& status) {
  std::uint64_t total = 0;
  for (const QueueCounts& q : status.queue) total += q.completed;
  return total;
}

}  // namespace

TopView::TopView(std::string config_path)
    : config_path_(std::move(config_path)) {}

void TopView::on_status(const StatusSample& sample) {
  if (!sample.reply) {
    error_ = sample.error;
    return;
  }
  error_.clear();
  status_ = sample.reply;
  answered_by_ = sample.answered_by;
  status_at_ = sample.at;
  throughput_.sample(sample.at, completed_total(*status_));
}

void TopView::on_event(const Event& event) {
  if (event.topic != "job.failed" && event.topic != "job.dead_lettered") {
    return;
  }
  auto attr = [&](const char* key) {
    auto it = event.attrs.find(key);
    return it == event.attrs.end() ? std::string("-") : it->second;
  };
  failures_.push_front({event.time_ms, event.topic, attr("job_id"),
                        attr("address"), attr("error")});
  if (failures_.size() > failures_max) failures_.pop_back();
}

std::vector<std::string> TopView::title(bool color, std::uint64_t wall_ms,
                                        std::size_t columns,
                                        bool interactive) const {
  std::string text =
      "slurp-monitor --top  " + config_path_ + "  " + clock_text(wall_ms);
  if (interactive) text += "  (q quits)";
  // In colour the bar spans the screen.
  const std::size_t width = ansi::visible_width(text);
  if (color && width < columns) text += std::string(columns - width, ' ');
  return {ansi::paint(text, ansi::reverse, color)};
}

std::vector<std::string> TopView::cluster(bool color,
                                          Clock::time_point now) const {
  std::vector<std::string> lines;
  if (status_) {
    const StatusReply& s = *status_;
    const auto age =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - status_at_);
    std::string line =
        "leader " + ansi::paint(s.leader.value_or("(none)"),
                                s.leader ? ansi::bold : ansi::bold_red, color);
    line += "  term " + ansi::paint(std::to_string(s.term), ansi::bold, color);
    line += "  commit " + std::to_string(s.commit_index);
    line += ansi::paint("  status from " + answered_by_ + ", " +
                            age_text(static_cast<std::uint64_t>(
                                std::max<long long>(age.count(), 0))),
                        ansi::dim, color);
    lines.push_back(std::move(line));
  } else if (error_.empty()) {
    lines.push_back(
        ansi::paint("asking the cluster for its status...", ansi::dim, color));
  }
  if (!error_.empty()) {
    lines.push_back(ansi::paint("status: " + error_, ansi::red, color));
  }
  return lines;
}

std::vector<std::string> TopView::members(bool color) const {
  std::vector<Row> rows{
      {{"MEMBER"}, {"STATE"}, {"HEALTHY"}, {"MATCH"}, {"LAG"}}};
  if (status_) {
    for (const MemberStatus& m : status_->members) {
      const std::string_view state_sgr = m.state == "leader"     ? ansi::green
                                         : m.state == "follower" ? ""
                                                                 : ansi::yellow;
      rows.push_back({{m.node},
                      {m.state, state_sgr},
                      {m.healthy ? "yes" : "NO", m.healthy ? "" : ansi::red},
                      {std::to_string(m.match_index)},
                      {std::to_string(m.lag_entries),
                       m.lag_entries > 0 ? ansi::yellow : ""}});
    }
  }
  return table(rows, color);
}

std::vector<std::string> TopView::queue(bool color, bool skip_idle) const {
  std::vector<Row> rows{
      {{"PRIORITY"}, {"QUEUED"}, {"ACTIVE"}, {"COMPLETED"}, {"FAILED"}}};
  QueueCounts total;
  if (status_) {
    // Emergency first: the order jobs leave the queue in.
    for (auto it = status_->queue.rbegin(); it != status_->queue.rend(); ++it) {
      total.queued += it->queued;
      total.active += it->active;
      total.completed += it->completed;
      total.failed += it->failed;
      const bool idle =
          it->queued + it->active + it->completed + it->failed == 0;
      if (skip_idle && idle) continue;
      rows.push_back(
          {{std::string(enum_to_wire(it->priority))},
           {std::to_string(it->queued)},
           {std::to_string(it->active)},
           {std::to_string(it->completed), ansi::green},
           {std::to_string(it->failed), it->failed > 0 ? ansi::red : ""}});
    }
  }
  rows.push_back({{"total", ansi::bold},
                  {std::to_string(total.queued), ansi::bold},
                  {std::to_string(total.active), ansi::bold},
                  {std::to_string(total.completed), ansi::bold},
                  {std::to_string(total.failed), ansi::bold}});
  std::vector<std::string> lines = table(rows, color);
  if (status_) {
    const StatusReply& s = *status_;
    lines.push_back(
        "waiting on dependencies " + std::to_string(s.waiting_tasks) +
        "  cache hits " + std::to_string(s.cache_hits) + "  attached " +
        std::to_string(s.attached) + "  retries " + std::to_string(s.retries) +
        "  dead-lettered " + std::to_string(s.dead_lettered));
  }
  return lines;
}

std::vector<std::string> TopView::throughput(bool color,
                                             std::size_t columns) const {
  std::string head = ansi::paint("THROUGHPUT", ansi::bold, color) +
                     " completed/s, last " +
                     std::to_string(Throughput::seconds_max) + " s";
  if (auto now = throughput_.latest()) {
    head += "  now " + fixed1(*now) + "  peak " + fixed1(throughput_.peak());
  }
  if (status_) {
    head += ansi::paint("  leader: " + fixed1(status_->completed_per_s) +
                            "/s completed, " + fixed1(status_->failed_per_s) +
                            "/s failed (10 s)",
                        ansi::dim, color);
  }
  const std::size_t width =
      std::min(Throughput::seconds_max, columns > 2 ? columns - 2 : columns);
  std::string line = "|" +
                     ansi::paint(sparkline(throughput_.per_second(), width),
                                 ansi::green, color) +
                     "|";
  return {head, line};
}

std::vector<std::string> TopView::workers(bool color,
                                          std::size_t rows_max) const {
  std::vector<Row> rows{{{"WORKER"}, {"COMPLETED"}, {"FAILED"}, {"LAST SEEN"}}};
  const std::vector<WorkerStatus> none;
  const auto& list = status_ ? status_->workers : none;
  const bool cut = list.size() > rows_max;
  const std::size_t shown =
      cut ? (rows_max > 0 ? rows_max - 1 : 0) : list.size();
  for (std::size_t i = 0; i < shown; ++i) {
    const WorkerStatus& w = list[i];
    rows.push_back(
        {{w.name},
         {std::to_string(w.jobs_completed), ansi::green},
         {std::to_string(w.jobs_failed), w.jobs_failed > 0 ? ansi::red : ""},
         {age_text(w.last_seen_ms_ago)}});
  }
  std::vector<std::string> lines = table(rows, color);
  if (cut && rows_max > 0) {
    lines.push_back(
        ansi::paint("... " + std::to_string(list.size() - shown) + " more",
                    ansi::dim, color));
  } else if (list.empty() && rows_max > 0) {
    lines.push_back(ansi::paint("(no results from any worker in the last 60 s)",
                                ansi::dim, color));
  }
  return lines;
}

std::vector<std::string> TopView::failure_lines(bool color,
                                                std::size_t rows_max) const {
  std::vector<std::string> lines{
      ansi::paint("RECENT FAILURES", ansi::bold, color)};
  if (failures_.empty() && rows_max > 0) {
    lines.push_back(ansi::paint("(none seen)", ansi::dim, color));
  }
  for (std::size_t i = 0; i < failures_.size() && i < rows_max; ++i) {
    const TopFailure& f = failures_[i];
    const bool dead = f.topic == "job.dead_lettered";
    lines.push_back(clock_text(f.time_ms) + "  " +
                    ansi::paint(dead ? "dead-lettered" : "failed       ",
                                ansi::red, color) +
                    "  job " + f.job_id + "  " + f.address + "  " +
                    ansi::paint(f.reason, ansi::dim, color));
  }
  return lines;
}

std::vector<std::string> TopView::render(const ViewSize& size, bool color,
                                         Clock::time_point now,
                                         std::uint64_t wall_ms) const {
  std::vector<std::vector<std::string>> sections{
      title(color, wall_ms, size.columns, size.rows > 0), cluster(color, now),
      members(color), queue(color, false), throughput(color, size.columns)};
  // Fixed rows: these sections, the two list headers and a blank line
  // between sections (none after the title).
  auto fixed_rows = [&](bool blanks) {
    std::size_t rows = 2 + (blanks ? sections.size() : 0);
    for (const auto& section : sections) rows += section.size();
    return rows;
  };
  // A short terminal loses the blank lines and the idle priorities first.
  const bool compact = size.rows > 0 && fixed_rows(true) > size.rows;
  if (compact) sections[3] = queue(color, true);
  std::size_t worker_rows = kUnlimited;
  std::size_t failure_rows = failures_max;
  if (size.rows > 0) {
    const std::size_t fixed = fixed_rows(!compact);
    const std::size_t left = size.rows > fixed ? size.rows - fixed : 0;
    const std::size_t worker_count = status_ ? status_->workers.size() : 0;
    const std::size_t wants_workers = std::max<std::size_t>(worker_count, 1);
    const std::size_t wants_failures =
        std::max<std::size_t>(failures_.size(), 1);
    // Failures keep a third when short of rows; workers get the rest.
    failure_rows =
        std::min({wants_failures, left, std::max<std::size_t>(1, left / 3)});
    worker_rows = std::min(wants_workers, left - failure_rows);
    failure_rows = std::min(wants_failures, left - worker_rows);
  }
  sections.push_back(workers(color, worker_rows));
  sections.push_back(failure_lines(color, failure_rows));
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    if (i > 1 && !compact) lines.emplace_back();
    for (const std::string& line : sections[i]) {
      lines.push_back(ansi::fit(line, size.columns));
    }
  }
  if (size.rows > 0 && lines.size() > size.rows) lines.resize(size.rows);
  return lines;
}

}  // namespace slurp::monitor
