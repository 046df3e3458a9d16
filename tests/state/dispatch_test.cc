// The leader-only dispatch queries: order (priority, aging, FIFO), the
// exclude set, and their cost with a full queue. Also how much memory a
// queued job takes ([.memory], run by name).
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "src/state/state_machine.h"
#include "tests/state/state_driver.h"

namespace slurp::state {
namespace {

using namespace testing;

constexpr std::uint64_t kSecond = 1000;

EnqueueCommand queued_at(std::string id, Priority priority,
                         std::uint64_t time_ms) {
  EnqueueCommand c = make_enqueue(std::move(id), "alice", priority);
  c.address = address_of(c.request_id);
  c.time_ms = time_ms;
  return c;
}

TEST_CASE("higher priority first, FIFO within a priority",
          "[state][dispatch]") {
  Driver d;
  REQUIRE(d.enqueue(queued_at("n1", Priority::normal, 1000)).job_id == 1);
  REQUIRE(d.enqueue(queued_at("l1", Priority::low, 1000)).job_id == 2);
  REQUIRE(d.enqueue(queued_at("e1", Priority::emergency, 1000)).job_id == 3);
  REQUIRE(d.enqueue(queued_at("n2", Priority::normal, 1000)).job_id == 4);
  REQUIRE(d.enqueue(queued_at("h1", Priority::high, 1000)).job_id == 5);
  REQUIRE(d.enqueue(queued_at("c1", Priority::critical, 1000)).job_id == 6);
  // Stamped earlier than job 1 (a new leader's clock may lag): FIFO is by
  // queued_since_ms first, then job id.
  REQUIRE(d.enqueue(queued_at("n0", Priority::normal, 900)).job_id == 7);
  CHECK(d.order(1000) == std::vector<std::uint64_t>{3, 6, 5, 7, 1, 4, 2});
  // Nothing is dispatched before it was queued.
  CHECK(d.order(950) == std::vector<std::uint64_t>{7});
  CHECK(d.order(899).empty());
  // limit and attempt numbers.
  CHECK(d.sm.next_dispatch(1000, 2, {}) ==
        std::vector<DispatchPick>{{3, 1}, {6, 1}});
  CHECK(d.sm.next_dispatch(1000, 0, {}).empty());
}

TEST_CASE("a job gains a priority level per aging interval waited",
          "[state][dispatch][aging]") {
  Driver d;  // aging_interval_ms 10 s
  REQUIRE(d.enqueue(queued_at("old low", Priority::low, 0)).job_id == 1);
  REQUIRE(
      d.enqueue(queued_at("new high", Priority::high, 15 * kSecond)).job_id ==
      2);
  // At 19.999 s the low job is normal (1), below high (2).
  CHECK(d.order(19999) == std::vector<std::uint64_t>{2, 1});
  // At 20 s it is high too; the tie goes to the one queued first.
  CHECK(d.order(20 * kSecond) == std::vector<std::uint64_t>{1, 2});
  // At 30 s it is critical (3), above a fresh high job (2); job 2, waiting
  // 15 s, is critical too but was queued later.
  REQUIRE(
      d.enqueue(queued_at("newer high", Priority::high, 30 * kSecond)).job_id ==
      3);
  CHECK(d.order(30 * kSecond) == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("nothing starves: a low job waiting 40 s competes as emergency",
          "[state][dispatch][aging]") {
  Driver d(StateLimits{.requester_jobs_max = 1000});
  REQUIRE(d.enqueue(queued_at("low", Priority::low, 0)).job_id == 1);
  for (int i = 0; i < 20; ++i) {
    REQUIRE_FALSE(d.enqueue(queued_at("e" + std::to_string(i),
                                      Priority::emergency, 30 * kSecond))
                      .error);
  }
  // At 39.999 s it is critical: every emergency job goes first.
  std::vector<std::uint64_t> before = d.order(39999);
  REQUIRE(before.size() == 21);
  CHECK(before.front() == 2);
  CHECK(before.back() == 1);
  // At 40 s it is emergency and was queued first: it leads.
  CHECK(d.order(40 * kSecond, 1) == std::vector<std::uint64_t>{1});
}

TEST_CASE("aging stops at emergency", "[state][dispatch][aging]") {
  Driver d;
  REQUIRE(d.enqueue(queued_at("emergency", Priority::emergency, 0)).job_id ==
          1);
  REQUIRE(d.enqueue(queued_at("low", Priority::low, 1)).job_id == 2);
  // Uncapped, the low job would rank far above emergency after a day; at
  // the cap both are emergency and the older one leads.
  CHECK(d.order(86'400'000) == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("next_dispatch skips excluded jobs and keeps the order",
          "[state][dispatch]") {
  Driver d;
  for (int i = 0; i < 6; ++i) {
    REQUIRE_FALSE(
        d.enqueue(queued_at("r" + std::to_string(i),
                            i < 3 ? Priority::high : Priority::normal, 1000))
            .error);
  }
  CHECK(d.order(1000, 3, {1, 2}) == std::vector<std::uint64_t>{3, 4, 5});
  CHECK(d.order(1000, 10, {1, 2, 3, 4, 5, 6}).empty());
  CHECK(d.order(1000, 10, {99}) ==
        std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6});
}

// The dispatch rule computed the slow way, over every job.
std::vector<std::uint64_t> brute_force_order(const StateMachine& sm,
                                             std::uint64_t last_id,
                                             std::uint64_t now_ms,
                                             std::uint64_t interval_ms,
                                             const std::set<std::uint64_t>& ex,
                                             std::size_t limit) {
  struct Entry {
    std::uint64_t effective, since, id;
  };
  std::vector<Entry> entries;
  for (std::uint64_t id = 1; id <= last_id; ++id) {
    const JobRecord* job = sm.job(id);
    if (job == nullptr || job->state != JobState::queued ||
        job->queued_since_ms > now_ms || ex.count(id) != 0) {
      continue;
    }
    const std::uint64_t aged = static_cast<std::uint64_t>(job->priority) +
                               (now_ms - job->queued_since_ms) / interval_ms;
    entries.push_back(
        {std::min<std::uint64_t>(aged, 4), job->queued_since_ms, id});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.effective != b.effective) return a.effective > b.effective;
    if (a.since != b.since) return a.since < b.since;
    return a.id < b.id;
  });
  std::vector<std::uint64_t> ids;
  for (std::size_t i = 0; i < entries.size() && i < limit; ++i) {
    ids.push_back(entries[i].id);
  }
  return ids;
}

TEST_CASE("next_dispatch over 100k queued jobs matches the rule",
          "[state][dispatch][perf]") {
  constexpr std::uint64_t kJobs = 100'000;
  Driver d(StateLimits{.queue_depth_max = kJobs, .requester_jobs_max = kJobs});
  std::uint64_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return seed >> 33;
  };
  for (std::uint64_t i = 0; i < kJobs; ++i) {
    EnqueueCommand c =
        queued_at("r" + std::to_string(i), static_cast<Priority>(next() % 5),
                  next() % (60 * kSecond));
    c.requester = "requester-" + std::to_string(i % 7);
    REQUIRE_FALSE(d.enqueue(c).error);
  }
  REQUIRE(d.sm.queued_tasks() == kJobs);
  // Some retries waiting for their backoff, spread over the range too.
  for (std::uint64_t id = 1; id <= 2000; id += 7) {
    REQUIRE(d.lease({{id, 1}}, 0, 1).leased.size() == 1);
    REQUIRE(d.fail(id, 1, "x", 1, next() % (90 * kSecond)).events.size() == 1);
  }
  const std::uint64_t now = 45 * kSecond;
  std::set<std::uint64_t> exclude;
  for (std::uint64_t id :
       brute_force_order(d.sm, kJobs, now, 10 * kSecond, {}, 300)) {
    if (id % 3 == 0) exclude.insert(id);
  }
  REQUIRE_FALSE(exclude.empty());

  const std::vector<DispatchPick> picks = d.sm.next_dispatch(now, 256, exclude);
  std::vector<std::uint64_t> ids;
  for (const DispatchPick& p : picks) ids.push_back(p.job_id);
  CHECK(ids.size() == 256);
  CHECK(ids == brute_force_order(d.sm, kJobs, now, 10 * kSecond, exclude, 256));
  for (const DispatchPick& p : picks) {
    CHECK(p.attempt == d.sm.job(p.job_id)->attempts + 1);
  }
  // Leasing the picks moves the window on: the next picks follow them.
  std::vector<LeaseGrant> grants;
  for (const DispatchPick& p : picks) grants.push_back({p.job_id, p.attempt});
  REQUIRE(d.lease(grants, now, now + 30000).leased.size() == 256);
  CHECK(d.order(now, 256, exclude) ==
        brute_force_order(d.sm, kJobs, now, 10 * kSecond, exclude, 256));
}

TEST_CASE("a copied machine owns its dedup window", "[state][dedup]") {
  Driver d(StateLimits{.request_ids_max = 2});
  REQUIRE(d.enqueue("a").job_id == 1);
  REQUIRE(d.enqueue("b").job_id == 2);
  Driver copy = d;
  REQUIRE(copy.sm == d.sm);
  REQUIRE(d.enqueue("c").job_id == 3);  // d forgets "a"
  CHECK(copy.sm.job_for_request("alice", "a") == 1u);
  CHECK(copy.enqueue("a").outcome == "duplicate");
  CHECK(d.enqueue("a").outcome == "queued");  // forgotten: a new job
  // The copy evicts through its own map.
  REQUIRE(copy.enqueue("x").job_id == 3);
  REQUIRE(copy.enqueue("y").job_id == 4);
  CHECK_FALSE(copy.sm.job_for_request("alice", "a"));
  CHECK(d.sm.job_for_request("alice", "a") == 4u);
  // Assignment copies and moves keep working too.
  Driver assigned;
  assigned = copy;
  CHECK(assigned.sm == copy.sm);
  Driver moved = std::move(assigned);
  CHECK(moved.sm == copy.sm);
  CHECK(moved.enqueue("y").outcome == "duplicate");
  CHECK(moved.enqueue("z").job_id == 5);
  CHECK_FALSE(moved.sm.job_for_request("alice", "x"));
}

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// Memory per queued job with realistic strings (no content), and the cost
// of a dispatch query (reported, not asserted: machines differ). Run with
//   slurp-state-tests "[.memory]"
TEST_CASE("memory per queued job", "[.memory]") {
  constexpr std::uint64_t kJobs = 100'000;
  const std::size_t before = resident_bytes();
  const std::size_t heap_before = mallinfo2().uordblks;
  {
    StateMachine sm(
        StateLimits{.queue_depth_max = kJobs, .requester_jobs_max = kJobs});
    for (std::uint64_t i = 0; i < kJobs; ++i) {
      EnqueueCommand c;
      c.request_id = "3f2a9c1e-7b4d-4e8a-9c2f-" + std::to_string(100000 + i) +
                     "abcdef";  // a UUID's length
      c.requester = "ci-runner";
      c.role = "developer";
      c.address = "ucxl://ci-runner:developer@slurp:main/*^/src/module" +
                  std::to_string(i % 100) + "/file" + std::to_string(i) + ".cc";
      c.content_hash = std::string(56, 'a') + std::to_string(10000000 + i);
      c.file_path = "src/module" + std::to_string(i % 100) + "/file" +
                    std::to_string(i) + ".cc";
      c.priority = static_cast<Priority>(i % 5);
      c.deadline_ms = 10'000'000 + i;
      c.time_ms = i;
      sm.apply(LogEntry{i + 1, 1, 1, encode_record(c)});
    }
    REQUIRE(sm.queued_tasks() == kJobs);
    const std::size_t after = resident_bytes();
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < 100; ++round) {
      CHECK(sm.next_dispatch(kJobs / 2, 256, {}).size() == 256);
    }
    std::cout << "next_dispatch(256) over 100k queued jobs: "
              << std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::steady_clock::now() - start)
                         .count() /
                     100
              << " us per call\n";
    std::cout << "heap in use per queued job: "
              << (mallinfo2().uordblks - heap_before) / kJobs << " bytes\n";
    std::cout << "resident growth per queued job (job, dedup key, indexes): "
              << (after - before) / kJobs << " bytes\n";
    CHECK((after - before) / kJobs <= 1024);
  }
}

}  // namespace
}  // namespace slurp::state
