// tools/monitor/event_filter.h: --topic, --job and --address combine with
// AND; repeated values of one flag are alternatives.
#include "tools/monitor/event_filter.h"

#include <catch2/catch.hpp>

namespace slurp::monitor {
namespace {

Event job_event(std::string topic, std::string job_id, std::string address) {
  Event e;
  e.topic = std::move(topic);
  e.node = "n1";
  e.attrs["job_id"] = std::move(job_id);
  if (!address.empty()) e.attrs["address"] = std::move(address);
  return e;
}

TEST_CASE("an empty filter matches every event and no beacon") {
  EventFilter filter;
  CHECK(filter.matches(job_event("job.queued", "1", "ucxl://p/a")));
  CHECK_FALSE(filter.wants_beacons());
}

TEST_CASE("topic filter: prefixes that are alternatives") {
  EventFilter filter{{"job.failed", "job.dead"}, {}, {}};
  CHECK(filter.matches(job_event("job.failed", "1", "")));
  CHECK(filter.matches(job_event("job.dead_lettered", "1", "")));
  CHECK_FALSE(filter.matches(job_event("job.completed", "1", "")));
}

TEST_CASE("job filter: the job_id attribute exactly") {
  EventFilter filter{{}, {"7", "9"}, {}};
  CHECK(filter.matches(job_event("job.queued", "7", "")));
  CHECK(filter.matches(job_event("job.queued", "9", "")));
  CHECK_FALSE(filter.matches(job_event("job.queued", "77", "")));
  Event no_job;
  no_job.topic = "leader.elected";
  CHECK_FALSE(filter.matches(no_job));
}

TEST_CASE("address filter: a prefix of the address attribute") {
  EventFilter filter{{}, {}, {"ucxl://p/src/"}};
  CHECK(filter.matches(job_event("job.queued", "1", "ucxl://p/src/a.c")));
  CHECK_FALSE(filter.matches(job_event("job.queued", "1", "ucxl://p/doc/a")));
  // job.retry carries no address: it cannot match an address filter.
  CHECK_FALSE(filter.matches(job_event("job.retry", "1", "")));
}

TEST_CASE("the flags combine with AND") {
  EventFilter filter{{"job.completed"}, {"3"}, {"ucxl://p/"}};
  CHECK(filter.matches(job_event("job.completed", "3", "ucxl://p/x")));
  CHECK_FALSE(filter.matches(job_event("job.queued", "3", "ucxl://p/x")));
  CHECK_FALSE(filter.matches(job_event("job.completed", "4", "ucxl://p/x")));
  CHECK_FALSE(filter.matches(job_event("job.completed", "3", "ucxl://q/x")));
}

TEST_CASE("beacons only by topic and never with a job or address filter") {
  CHECK(EventFilter{{"beacon"}, {}, {}}.wants_beacons());
  CHECK(EventFilter{{""}, {}, {}}.wants_beacons());
  CHECK_FALSE(EventFilter{{"job."}, {}, {}}.wants_beacons());
  CHECK_FALSE(EventFilter{{"beacon"}, {"1"}, {}}.wants_beacons());
}

}  // namespace
}  // namespace slurp::monitor
