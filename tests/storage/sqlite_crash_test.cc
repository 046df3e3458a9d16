// SqliteStorage under a real process kill: a child appends and syncs
// batches, reporting each synced index over a pipe; the parent SIGKILLs it
// at a random point, reopens the directory and checks that every index the
// child reported synced is there, in a contiguous log with the right bytes.
// Several kill rounds run on the same directory, so recovery is followed by
// more writes (and compactions) and another kill.
//
// The seed is printed on failure; rerun with --rng-seed <seed>.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>

#include "storage_test_support.h"
#include "tests/storage/crash_support.h"

namespace slurp::storage::testing {
namespace {

using consensus::HardState;
using consensus::InitialState;

constexpr std::size_t kEntryBytes = 200;

// Exit codes of a child that failed before it was killed.
enum ChildExit { kOpenFailed = 10, kLoadFailed, kWriteFailed, kPipeFailed };

// Runs until killed. Never returns into Catch: a forked copy of the test
// runner must not report anything.
[[noreturn]] void run_child(const std::string& dir, int report_fd,
                            std::uint64_t seed, std::uint64_t term) {
  auto opened = SqliteStorage::open(dir);
  if (!opened) ::_exit(kOpenFailed);
  SqliteStorage& store = **opened;
  auto state = store.load();
  if (!state) ::_exit(kLoadFailed);
  std::uint64_t last =
      state->entries.empty()
          ? (state->snapshot ? state->snapshot->meta.last_index : 0)
          : state->entries.back().index;
  std::uint64_t snapshot_at =
      state->snapshot ? state->snapshot->meta.last_index : 0;
  const std::uint64_t first_of_term = last + 1;
  std::mt19937_64 rng(seed);
  for (std::uint64_t batch = 1;; ++batch) {
    const std::uint64_t count = 1 + rng() % 32;
    // commit = the previous batch: it is synced, as Raft would require.
    Status s = store.write(HardState{term, "", last},
                           entries(last + 1, last + count, term, kEntryBytes),
                           std::nullopt);
    if (s && batch % 16 == 0 && last > first_of_term + 4 &&
        last - 4 > snapshot_at) {
      snapshot_at = last - 4;
      s = store.compact(snapshot_at, snapshot(snapshot_at, term, 4096));
    }
    if (s) s = store.sync();
    if (!s) ::_exit(kWriteFailed);
    last += count;
    if (!write_report(report_fd, last)) ::_exit(kPipeFailed);
  }
}

// Every index up to `max_reported` is there, the log is contiguous (load()
// enforces it), and each entry and the snapshot hold the bytes written.
void check_recovered(const std::string& dir, std::uint64_t max_reported) {
  auto store = SqliteStorage::open(dir);
  REQUIRE(store);
  LoadStats stats;
  auto state = (*store)->load(&stats);
  if (!state) FAIL(state.error().describe());
  CHECK(stats.torn_records_dropped == 0);  // SQLite never tears a row
  std::uint64_t expected = 1;
  if (state->snapshot) {
    const auto& snap = *state->snapshot;
    CHECK(snap.data == snapshot(snap.meta.last_index, 0, 4096).data);
    expected = snap.meta.last_index + 1;
  }
  for (const LogEntry& e : state->entries) {
    REQUIRE(e.index == expected);
    REQUIRE(e.data == payload(e.index, kEntryBytes));
    ++expected;
  }
  const std::uint64_t last = expected - 1;
  CHECK(last >= max_reported);
  CHECK(state->hard_state.commit <= last);
}

TEST_CASE(
    "sqlite: SIGKILL at a random moment never loses an index reported synced",
    "[storage][sqlite][crash]") {
  TempDir dir;
  const std::uint64_t seed = test_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::uint64_t max_reported = 0;
  for (std::uint64_t round = 1; round <= 5; ++round) {
    CAPTURE(round);
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    const std::uint64_t child_seed = rng();
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      run_child(dir.path(), fds[1], child_seed, round);
    }
    ::close(fds[1]);
    ChildGuard guard(pid);
    const std::size_t kill_after = 1 + rng() % 120;
    std::size_t received = 0;
    const bool alive = read_reports(fds[0], kill_after, max_reported, received);
    if (alive) REQUIRE(::kill(pid, SIGKILL) == 0);
    // Reports written before the kill landed are synced too: drain to EOF.
    read_reports(fds[0], SIZE_MAX, max_reported, received);
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    guard.release();
    INFO("child exit status "
         << (WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    check_recovered(dir.path(), max_reported);
  }
}

}  // namespace
}  // namespace slurp::storage::testing
