// Throughput of SqliteStorage on this machine's disk: the measured side of
// the "SQLite WAL rather than a custom log" decision (sqlite_storage.h).
// Hidden ([.bench]); run with: slurp-storage-tests "[.bench]"
// Each round is what a node does per Ready: write(hard state + a batch of
// entries), then sync() (one COMMIT = one WAL fsync).

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "storage_test_support.h"

namespace slurp::storage::testing {
namespace {

struct Rate {
  double entries_per_s = 0;
  double syncs_per_s = 0;
};

Rate measure(std::uint64_t batch, std::uint64_t rounds) {
  TempDir dir;
  auto store = SqliteStorage::open(dir.path());
  REQUIRE(store);
  REQUIRE((*store)->load());
  std::vector<std::vector<LogEntry>> batches;  // built before the clock starts
  for (std::uint64_t r = 0; r < rounds; ++r) {
    batches.push_back(entries(r * batch + 1, (r + 1) * batch, 1, 200));
  }
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t r = 0; r < rounds; ++r) {
    REQUIRE((*store)->write(consensus::HardState{1, "", r * batch}, batches[r],
                            std::nullopt));
    REQUIRE((*store)->sync());
  }
  const std::chrono::duration<double> took =
      std::chrono::steady_clock::now() - start;
  return {static_cast<double>(rounds * batch) / took.count(),
          static_cast<double>(rounds) / took.count()};
}

// The floor for any log on this disk: append 200 bytes, fdatasync. A custom
// log file could do no better per sync than this.
double raw_appends_per_s(std::uint64_t rounds) {
  TempDir dir;
  const std::string path = dir.str() + "/raw.log";
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  const Bytes record = payload(1, 200);
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t r = 0; r < rounds; ++r) {
    REQUIRE(::write(fd, record.data(), record.size()) ==
            static_cast<ssize_t>(record.size()));
    REQUIRE(::fdatasync(fd) == 0);
  }
  const std::chrono::duration<double> took =
      std::chrono::steady_clock::now() - start;
  REQUIRE(::close(fd) == 0);
  return static_cast<double>(rounds) / took.count();
}

TEST_CASE("storage throughput", "[.bench]") {
  std::cout << "storage_raw_append_fdatasync_per_s="
            << static_cast<std::uint64_t>(raw_appends_per_s(500)) << "\n";
  double syncs_per_s = 0;
  for (auto [batch, rounds] : {std::pair<std::uint64_t, std::uint64_t>{1, 500},
                               {64, 200},
                               {512, 50}}) {
    const Rate rate = measure(batch, rounds);
    if (batch == 1) syncs_per_s = rate.syncs_per_s;
    std::cout << "storage_entries_per_s_batch" << batch << "="
              << static_cast<std::uint64_t>(rate.entries_per_s) << "\n"
              << "storage_syncs_per_s_batch" << batch << "="
              << static_cast<std::uint64_t>(rate.syncs_per_s) << "\n";
  }
  std::cout << "storage_syncs_per_s=" << static_cast<std::uint64_t>(syncs_per_s)
            << "\n";
}

}  // namespace
}  // namespace slurp::storage::testing
