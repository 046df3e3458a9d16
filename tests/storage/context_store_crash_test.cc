// contexts.db under a real process kill: a child applies entries to a
// SqliteContextStore and commits every few, reporting each committed index
// over a pipe; the parent SIGKILLs it at a random moment (so, over the
// rounds, between every kind of step: a put, a commit, the checkpointer's
// work), reopens the directory and checks that the store holds exactly
// what the entries up to its committed index wrote: nothing lost that was
// reported committed, nothing from entries after it. The next round resumes
// from the committed index, as a node replaying its log does.
//
// The seed is printed on failure; rerun with --rng-seed <seed>.

#include <fcntl.h>

#include <map>
#include <random>

#include "src/storage/context_reader.h"
#include "src/storage/sqlite_context_store.h"
#include "tests/storage/crash_support.h"
#include "tests/storage/storage_test_support.h"

namespace slurp::storage::testing {
namespace {

constexpr std::uint64_t kAddresses = 37;

std::string address_of(std::uint64_t index) {
  return "ucxl://crash/f" + std::to_string(index % kAddresses);
}

// What entry `index` stores: a record that names its entry.
state::StoredContext written_by(std::uint64_t index) {
  state::StoredContext s;
  s.context.address = address_of(index);
  s.context.summary =
      "entry " + std::to_string(index) + std::string(index % 700, 'x');
  s.context.version = index;
  return s;
}

enum ChildExit { kOpenFailed = 10, kCommitFailed, kPipeFailed };

[[noreturn]] void run_child(const std::string& dir, int report_fd,
                            std::uint64_t seed) {
  auto opened = SqliteContextStore::open(dir);
  if (!opened) ::_exit(kOpenFailed);
  SqliteContextStore& store = **opened;
  std::mt19937_64 rng(seed);
  std::uint64_t index = store.committed_index();
  for (;;) {
    const std::uint64_t batch = 1 + rng() % 20;
    for (std::uint64_t i = 0; i < batch; ++i) {
      store.begin_entry(++index);
      store.put(written_by(index));
    }
    if (!store.commit(index)) ::_exit(kCommitFailed);
    if (!write_report(report_fd, index)) ::_exit(kPipeFailed);
  }
}

// Each address's latest record is the one its last entry at or below the
// committed index wrote, and the reader sees exactly that.
void check_recovered(const std::string& dir, std::uint64_t max_reported) {
  auto store = SqliteContextStore::open(dir);
  REQUIRE(store);
  const std::uint64_t committed = (*store)->committed_index();
  CHECK(committed >= max_reported);
  auto reader = ContextReader::open(dir);
  REQUIRE(reader);
  std::map<std::string, std::string> seen;
  REQUIRE((*reader)
              ->scan("", "",
                     [&](state::StoredContext&& s) {
                       seen[s.context.address] = s.context.summary;
                       return true;
                     })
              .ok());
  CHECK(seen.size() == std::min(committed, kAddresses));
  for (std::uint64_t k = 0; k < kAddresses && k < committed; ++k) {
    // The last entry ≤ committed with index % kAddresses == k.
    std::uint64_t last =
        committed - (committed % kAddresses + kAddresses - k) % kAddresses;
    if (last == 0) continue;  // entries start at 1: f0 not written yet
    CAPTURE(k, committed, last);
    CHECK(seen[address_of(last)] == written_by(last).context.summary);
  }
}

TEST_CASE(
    "contexts.db: SIGKILL at a random moment keeps exactly what was "
    "committed",
    "[storage][contexts][crash]") {
  TempDir dir;
  const std::uint64_t seed = test_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::uint64_t max_reported = 0;
  for (std::uint64_t round = 1; round <= 8; ++round) {
    CAPTURE(round);
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    const std::uint64_t child_seed = rng();
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      run_child(dir.path(), fds[1], child_seed);
    }
    ::close(fds[1]);
    ChildGuard guard(pid);
    const std::size_t kill_after = 1 + rng() % 200;
    std::size_t received = 0;
    const bool alive = read_reports(fds[0], kill_after, max_reported, received);
    if (alive) REQUIRE(::kill(pid, SIGKILL) == 0);
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
