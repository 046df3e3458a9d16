#include "src/node/event_journal.h"

#include <catch2/catch.hpp>

namespace slurp::node {
namespace {

TEST_CASE("events are numbered from 1 without gaps", "[events]") {
  EventJournal journal("n1", 100, 1 << 20);
  CHECK(journal.last_seq() == 0);
  CHECK(journal.first_available_seq() == 1);
  for (std::uint64_t i = 0; i < 5; ++i) {
    const Event& e = journal.record("job.queued", 3, 1000 + i, {{"i", "x"}});
    CHECK(e.seq == i + 1);
    CHECK(e.node == "n1");
    CHECK(e.term == 3);
  }
  CHECK(journal.last_seq() == 5);
  auto all = journal.since(0, 100, 1 << 20);
  REQUIRE(all.size() == 5);
  CHECK(all.front().seq == 1);
  CHECK(all.back().seq == 5);
}

TEST_CASE("since() starts at from_seq and honours the limit", "[events]") {
  EventJournal journal("n1", 100, 1 << 20);
  for (int i = 0; i < 10; ++i) journal.record("t", 1, 0, {});
  auto some = journal.since(4, 3, 1 << 20);
  REQUIRE(some.size() == 3);
  CHECK(some[0].seq == 4);
  CHECK(some[2].seq == 6);
  CHECK(journal.since(11, 10, 1 << 20).empty());
  CHECK(journal.since(10, 10, 1 << 20).size() == 1);
  CHECK(journal.since(1, 0, 1 << 20).empty());
}

TEST_CASE("the history is bounded; the oldest events go first", "[events]") {
  EventJournal journal("n1", 4, 1 << 20);
  for (int i = 0; i < 10; ++i) journal.record("t", 1, 0, {});
  CHECK(journal.first_available_seq() == 7);
  CHECK(journal.last_seq() == 10);
  // Asking for what is gone returns what is still there, from the oldest.
  auto kept = journal.since(2, 100, 1 << 20);
  REQUIRE(kept.size() == 4);
  CHECK(kept.front().seq == 7);
  CHECK(kept.back().seq == 10);
}

}  // namespace
}  // namespace slurp::node

namespace slurp::node {
namespace {

TEST_CASE("the history is bounded in bytes too; replies stop at a size",
          "[events]") {
  // Each event quotes 10 KiB; 1 MiB of history keeps about a hundred.
  EventJournal journal("n1", 10000, 1 << 20);
  const std::string big(10 * 1024, 'x');
  for (int i = 0; i < 1000; ++i) journal.record("t", 1, 0, {{"reason", big}});
  CHECK(journal.history_bytes() <= (1u << 20));
  CHECK(journal.last_seq() == 1000);
  CHECK(journal.first_available_seq() >= 880);
  CHECK(journal.first_available_seq() < 990);
  // A reply of at most 64 KiB carries 6 of them; a tiny bound still one.
  CHECK(journal.since(0, 1000, 64 * 1024).size() == 6);
  CHECK(journal.since(0, 1000, 1).size() == 1);
}

}  // namespace
}  // namespace slurp::node
