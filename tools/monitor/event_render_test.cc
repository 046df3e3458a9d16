// tools/monitor/event_render.h: the line formats, with and without colour.
#include "tools/monitor/event_render.h"

#include <catch2/catch.hpp>

#include "tools/monitor/ansi.h"

namespace slurp::monitor {
namespace {

Event completed() {
  Event e;
  e.topic = "job.completed";
  e.node = "n1";
  e.term = 4;
  e.seq = 57;
  e.time_ms = 1795000000500;
  e.attrs = {{"address", "ucxl://p/a b.go"}, {"job_id", "1001"}};
  return e;
}

TEST_CASE("plain event line: seq node term topic k=v with odd values quoted") {
  CHECK(render_event(completed(), false, {}) ==
        "57 n1 4 job.completed address=\"ucxl://p/a b.go\" job_id=1001");
  CHECK(render_event(completed(), true, {}) ==
        "57 n1 4 job.completed address=\"ucxl://p/a b.go\" job_id=1001 "
        "[fetched]");
}

TEST_CASE(
    "coloured event line: the same text with the topic in its family's "
    "colour") {
  const std::string line = render_event(completed(), false, {false, true});
  CHECK(line.find("\x1b[32mjob.completed\x1b[0m") != std::string::npos);
  CHECK(ansi::visible_width(line) ==
        ansi::visible_width(render_event(completed(), false, {})));
}

TEST_CASE("json: one object per line and never coloured") {
  const std::string line = render_event(completed(), true, {true, true});
  CHECK(line ==
        "{\"type\":\"event\",\"node\":\"n1\",\"seq\":57,\"term\":4,"
        "\"topic\":\"job.completed\",\"time_ms\":1795000000500,\"attrs\":{"
        "\"address\":\"ucxl://p/a b.go\",\"job_id\":\"1001\"},"
        "\"fetched\":true}");
  CHECK_FALSE(ansi::has_escape(render_gap("n1", 3, 5, {true, true})));
}

TEST_CASE("topic families") {
  CHECK(topic_color("job.completed") == ansi::green);
  CHECK(topic_color("job.failed") == ansi::bold_red);
  CHECK(topic_color("job.dead_lettered") == ansi::bold_red);
  CHECK(topic_color("leader.elected") == ansi::bold_yellow);
  CHECK(topic_color("job.queued") == ansi::cyan);
  CHECK(topic_color("something.new") == "");
}

TEST_CASE("gap and lost and restart notices") {
  CHECK(render_gap("n2", 3, 5, {}) == "gap n2 from_seq=3 to_seq=5");
  CHECK(render_lost("n2", 1, 2, 3, {}) ==
        "gap n2 from_seq=1 to_seq=2 lost first_available_seq=3");
  CHECK(render_restart("n2", 1, 40, {}) == "restart n2 seq=1 previous_seq=40");
  CHECK(render_gap("n2", 3, 5, {false, true}) ==
        "\x1b[35mgap n2 from_seq=3 to_seq=5\x1b[0m");
}

}  // namespace
}  // namespace slurp::monitor
