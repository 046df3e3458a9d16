// SnapshotFork: a forked child writes the state as it was at the fork,
// while the parent goes on changing it; failures come back with a reason.
#include "src/node/snapshot_fork.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "protocol/crc32c.h"
#include "src/storage/durable_file.h"
#include "src/storage/sqlite_storage.h"
#include "tests/state/state_driver.h"
#include "tests/support/temp_dir.h"

namespace slurp::node {
namespace {

using slurp::testing::TempDir;
using state::testing::address_of;
using state::testing::Driver;
using state::testing::make_context;

// Polls until the snapshot is written and read back; fails the test after
// 30 s.
Result<SnapshotFork::Written> wait_for(SnapshotFork& child) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto done = child.poll()) return std::move(*done);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  FAIL("the snapshot child did not finish within 30 s");
  return make_error(ErrorCode::timeout, "unreachable");
}

Driver state_with_contexts(int n) {
  Driver d;
  for (int i = 0; i < n; ++i) {
    d.update(make_context(address_of("src/f" + std::to_string(i) + ".cc"),
                          "file " + std::to_string(i)));
  }
  d.enqueue("r1");
  return d;
}

TEST_CASE("snapshot fork: the child writes the state as of the fork",
          "[node][snapshot]") {
  TempDir dir;
  Driver d = state_with_contexts(200);
  const Bytes expected = d.sm.snapshot();
  const consensus::SnapshotMeta meta{d.sm.applied_index(), 1};
  auto child = SnapshotFork::start(d.sm, meta, dir.path().string());
  REQUIRE(child);
  CHECK(child->meta() == meta);
  // The parent goes on at once; the child must not see these.
  for (int i = 0; i < 50; ++i) d.enqueue("later-" + std::to_string(i));
  REQUIRE(d.sm.snapshot() != expected);
  REQUIRE(wait_for(*child));

  auto bytes =
      storage::read_whole_file(storage::SqliteStorage::snapshot_file_path(
          dir.path().string(), meta.last_index));
  REQUIRE(bytes);
  CHECK(*bytes == expected);
  state::StateMachine restored;
  REQUIRE(restored.restore(*bytes));
  CHECK(restored.applied_index() == meta.last_index);
  CHECK(restored.context_count() == 200);
  // The temporary file was renamed away.
  CHECK_FALSE(std::filesystem::exists(dir.path().string() + "/snapshot-" +
                                      std::to_string(meta.last_index) +
                                      ".tmp"));
}

TEST_CASE("snapshot fork: a child that cannot write says why",
          "[node][snapshot]") {
  TempDir dir;
  const std::string missing = dir.path().string() + "/no/such/dir";
  Driver d = state_with_contexts(3);
  auto child = SnapshotFork::start(d.sm, {d.sm.applied_index(), 1}, missing);
  REQUIRE(child);
  auto s = wait_for(*child);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == ErrorCode::internal);
  CHECK(s.error().reason.find("snapshot child") != std::string::npos);
  CHECK(s.error().reason.find(missing) != std::string::npos);
}

TEST_CASE("snapshot fork: dropping the child reaps it, running or not",
          "[node][snapshot]") {
  TempDir dir;
  // Big enough that the child is usually still encoding when dropped;
  // either way nothing of it may be left behind.
  Driver d = state_with_contexts(20000);
  {
    auto child = SnapshotFork::start(d.sm, {d.sm.applied_index(), 1},
                                     dir.path().string());
    REQUIRE(child);
  }
  // No child of ours is left, not even a zombie.
  errno = 0;
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
}

}  // namespace
}  // namespace slurp::node
