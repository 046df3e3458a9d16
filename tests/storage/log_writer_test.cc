// The log writer thread: a Ready submitted is durable when its outcome is
// taken, the eventfd wakes the owner's poll, failures come back as the
// storage's error, and stopping finishes the write under way.
#include "src/storage/log_writer.h"

#include <poll.h>

#include <catch2/catch.hpp>

#include "tests/storage/storage_test_support.h"

namespace slurp::storage::testing {
namespace {

// Waits for the writer's eventfd, as the node's poll does.
bool woken_within(const LogWriter& writer, int ms) {
  pollfd p{writer.wake_fd(), POLLIN, 0};
  return ::poll(&p, 1, ms) == 1 && (p.revents & POLLIN) != 0;
}

consensus::Ready ready_with(std::uint64_t first, std::uint64_t last,
                            std::uint64_t term) {
  consensus::Ready ready;
  ready.hard_state = consensus::HardState{term, "n1", 0};
  ready.entries = entries(first, last, term, 64);
  return ready;
}

// A disk that refuses its fsyncs.
class RefusingStorage : public RaftStorage {
 public:
  Result<consensus::InitialState> load(LoadStats* /*stats*/) override {
    return consensus::InitialState{};
  }
  Status write(
      const std::optional<consensus::HardState>& /*hard_state*/,
      const std::vector<LogEntry>& /*entries*/,
      const std::optional<consensus::Snapshot>& /*snapshot*/) override {
    return ok_status();
  }
  Status sync() override {
    return make_error(ErrorCode::internal, "disk refused the fsync");
  }
  Status compact(std::uint64_t /*index*/,
                 const consensus::Snapshot& /*snapshot*/) override {
    return ok_status();
  }
};

// raft.db in `dir`, opened and loaded as a node does before writing.
std::unique_ptr<SqliteStorage> opened(const TempDir& dir) {
  auto storage = SqliteStorage::open(dir.str());
  REQUIRE(storage.ok());
  REQUIRE((*storage)->load().ok());
  return std::move(*storage);
}

// What the next process finds in `dir`.
consensus::InitialState reloaded(const TempDir& dir) {
  auto storage = SqliteStorage::open(dir.str());
  REQUIRE(storage.ok());
  auto loaded = (*storage)->load();
  REQUIRE(loaded.ok());
  return std::move(*loaded);
}

TEST_CASE("the log writer makes a Ready durable off the owner's thread",
          "[storage][log_writer]") {
  TempDir dir;
  {
    auto storage = opened(dir);
    auto writer = LogWriter::start(*storage);
    REQUIRE(writer.ok());
    CHECK_FALSE((*writer)->busy());
    CHECK_FALSE((*writer)->take_done());

    consensus::Ready first = ready_with(1, 100, 1);
    (*writer)->submit(first);
    CHECK((*writer)->busy());
    REQUIRE(woken_within(**writer, 10000));
    std::optional<Status> done = (*writer)->take_done();
    REQUIRE(done);
    CHECK(done->ok());
    CHECK_FALSE((*writer)->busy());
    // Taking the outcome cleared the eventfd: the poll sleeps again.
    CHECK_FALSE(woken_within(**writer, 0));

    consensus::Ready second = ready_with(101, 150, 1);
    (*writer)->submit(second);
    CHECK((*writer)->wait().ok());
    CHECK((*writer)->counters().writes == 2);
    CHECK((*writer)->counters().write_us_max >=
          (*writer)->counters().write_us_last);
  }
  // What was taken as done is on disk for the next process.
  const consensus::InitialState loaded = reloaded(dir);
  REQUIRE(loaded.entries.size() == 150);
  CHECK(loaded.entries.back().data == payload(150, 64));
  CHECK(loaded.hard_state.term == 1);
  CHECK(loaded.hard_state.voted_for == "n1");
}

TEST_CASE("the log writer returns the storage's failure",
          "[storage][log_writer]") {
  RefusingStorage storage;
  auto writer = LogWriter::start(storage);
  REQUIRE(writer.ok());
  consensus::Ready ready = ready_with(1, 3, 1);
  (*writer)->submit(ready);
  Status outcome = (*writer)->wait();
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().describe().find("refused the fsync") !=
        std::string::npos);
}

TEST_CASE("stopping the log writer finishes the write under way",
          "[storage][log_writer]") {
  TempDir dir;
  {
    auto storage = opened(dir);
    consensus::Ready ready = ready_with(1, 2000, 3);
    auto writer = LogWriter::start(*storage);
    REQUIRE(writer.ok());
    (*writer)->submit(ready);
    writer->reset();  // without taking the outcome
  }
  CHECK(reloaded(dir).entries.size() == 2000);
}

}  // namespace
}  // namespace slurp::storage::testing
