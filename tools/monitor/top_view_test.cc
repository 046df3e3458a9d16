// tools/monitor/top_view.h: what --top shows, and how it fits the screen.
#include "tools/monitor/top_view.h"

#include <catch2/catch.hpp>

#include "tools/monitor/ansi.h"

namespace slurp::monitor {
namespace {

using Clock = TopView::Clock;
using std::chrono::milliseconds;

StatusSample sample(Clock::time_point at, std::uint64_t completed,
                    std::size_t workers) {
  StatusReply s;
  s.node = "n2";
  s.leader = "n2";
  s.term = 7;
  s.commit_index = 321;
  s.members = {{"n1", "follower", true, 320, 1},
               {"n2", "leader", true, 321, 0},
               {"n3", "unreachable", false, 0, 321}};
  s.queue = {{Priority::low, 0, 0, 0, 0},
             {Priority::normal, 4, 2, completed, 1},
             {Priority::high, 0, 0, 0, 0},
             {Priority::critical, 0, 0, 0, 0},
             {Priority::emergency, 0, 0, 0, 0}};
  for (std::size_t i = 0; i < workers; ++i) {
    s.workers.push_back({"w" + std::to_string(i + 1), 10 + i, i, 250});
  }
  s.completed_per_s = 2.5;
  return {at, s, "n2", ""};
}

Event failure(std::uint64_t job) {
  Event e;
  e.topic = "job.dead_lettered";
  e.attrs = {{"job_id", std::to_string(job)},
             {"address", "ucxl://p/broken.c"},
             {"error", "cannot read"}};
  return e;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  return all;
}

TEST_CASE("the view shows leader term members queue workers and failures") {
  TopView view("c/cluster.toml");
  const auto t0 = Clock::now();
  view.on_status(sample(t0, 10, 2));
  view.on_status(sample(t0 + milliseconds(1000), 15, 2));
  view.on_event(failure(42));
  const auto lines = view.render({120, 0}, false, t0 + milliseconds(1500), 0);
  const std::string all = joined(lines);
  CHECK(all.find("leader n2  term 7  commit 321") != std::string::npos);
  CHECK(all.find("n3      unreachable  NO") != std::string::npos);
  CHECK(all.find("normal     4       2       15         1") !=
        std::string::npos);
  CHECK(all.find("now 5.0") != std::string::npos);
  CHECK(all.find("w2      11         1") != std::string::npos);
  CHECK(all.find("dead-lettered  job 42  ucxl://p/broken.c  cannot read") !=
        std::string::npos);
  CHECK_FALSE(ansi::has_escape(all));
}

TEST_CASE("no answer yet and a failed poll are said on the cluster line") {
  TopView view("cluster.toml");
  const auto now = Clock::now();
  CHECK(joined(view.render({80, 0}, false, now, 0)).find("asking") !=
        std::string::npos);
  view.on_status({now, std::nullopt, "", "no node answered: n1: timeout"});
  CHECK(joined(view.render({80, 0}, false, now, 0))
            .find("status: no node answered") != std::string::npos);
}

TEST_CASE("the view fits the terminal: lines cut and lists shrink first") {
  TopView view("cluster.toml");
  const auto now = Clock::now();
  view.on_status(sample(now, 10, 30));
  for (std::uint64_t i = 0; i < 8; ++i) view.on_event(failure(100 + i));
  for (std::size_t rows : {24u, 30u, 40u, 60u}) {
    const auto lines = view.render({50, rows}, true, now, 0);
    CHECK(lines.size() <= rows);
    for (const auto& line : lines) CHECK(ansi::visible_width(line) <= 50);
    const std::string all = joined(lines);
    CHECK(all.find("RECENT FAILURES") != std::string::npos);
    if (rows >= 30) {
      CHECK(all.find("more") != std::string::npos);  // 30 never fit
    }
  }
}

}  // namespace
}  // namespace slurp::monitor
