#include "src/node/event_journal.h"

#include <catch2/catch.hpp>

namespace slurp::node {
namespace {

TEST_CASE("events are numbered from 1 without gaps", "[events]") {
  EventJournal journal("n1", 100);
  CHECK(journal.last_seq() == 0);
  CHECK(journal.first_available_seq() == 1);
  for (std::uint64_t i = 0; i < 5; ++i) {
    const Event& e = journal.record("job.queued", 3, 1000 + i, {{"i", "x"}});
    CHECK(e.seq == i + 1);
    CHECK(e.node == "n1");
    CHECK(e.term == 3);
  }
  CHECK(journal.last_seq() == 5);
  auto all = journal.since(0, 100);
  REQUIRE(all.size() == 5);
  CHECK(all.front().seq == 1);
  CHECK(all.back().seq == 5);
}

TEST_CASE("since() starts at from_seq and honours the limit", "[events]") {
  EventJournal journal("n1", 100);
  for (int i = 0; i < 10; ++i) journal.record("t", 1, 0, {});
  auto some = journal.since(4, 3);
  REQUIRE(some.size() == 3);
  CHECK(some[0].seq == 4);
  CHECK(some[2].seq == 6);
  CHECK(journal.since(11, 10).empty());
  CHECK(journal.since(10, 10).size() == 1);
  CHECK(journal.since(1, 0).empty());
}

TEST_CASE("the history is bounded; the oldest events go first", "[events]") {
  EventJournal journal("n1", 4);
  for (int i = 0; i < 10; ++i) journal.record("t", 1, 0, {});
  CHECK(journal.first_available_seq() == 7);
  CHECK(journal.last_seq() == 10);
  // Asking for what is gone returns what is still there, from the oldest.
  auto kept = journal.since(2, 100);
  REQUIRE(kept.size() == 4);
  CHECK(kept.front().seq == 7);
  CHECK(kept.back().seq == 10);
}

}  // namespace
}  // namespace slurp::node
