// file_path confinement on real files (src/worker/confined_file.h): what a
// worker reads under its roots, everything it refuses (with one reason
// for all), and reads that stop early. Each case runs through openat2 and
// through the O_PATH walk used on kernels without it.
//
// Tests run as root in CI, and root reads a chmod 000 file anyway; the
// "unreadable" case runs only for other users.

#include "src/worker/confined_file.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "tests/support/temp_dir.h"

namespace slurp::worker {
namespace {

namespace fs = std::filesystem;

using slurp::testing::TempDir;

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The root is TMP/root; TMP/outside.txt lies next to it.
struct Tree {
  TempDir tmp{"slurp-confined"};
  std::string root = (tmp / "root").string();
  Tree() {
    fs::create_directories(root + "/src/deep");
    write(root + "/src/a.c", "int main(void) { return 0; }\n");
    write(root + "/src/deep/b.c", "/* b */\n");
    write((tmp / "outside.txt").string(), "TODO: AKIA-secret\n");
  }
  ConfinedReadOptions options(bool openat2) const {
    ConfinedReadOptions o;
    o.roots = {root};
    o.use_openat2 = openat2;
    return o;
  }
};

const bool kModes[] = {true, false};

std::string mode_name(bool openat2) {
  return openat2 ? "openat2" : "O_PATH walk";
}

TEST_CASE("confined: a regular file under the root is read whole",
          "[confined]") {
  Tree t;
  for (bool openat2 : kModes) {
    CAPTURE(mode_name(openat2));
    auto read = read_confined(t.options(openat2), t.root + "/src/a.c");
    REQUIRE(read.ok());
    CHECK(read->bytes == "int main(void) { return 0; }\n");
    CHECK(read->size == read->bytes.size());
    CHECK_FALSE(read->over_limit);
    auto deep = read_confined(t.options(openat2), t.root + "//src/deep/b.c");
    REQUIRE(deep.ok());
    CHECK(deep->bytes == "/* b */\n");
    write(t.root + "/empty", "");
    auto empty = read_confined(t.options(openat2), t.root + "/empty");
    REQUIRE(empty.ok());
    CHECK(empty->bytes.empty());
  }
}

TEST_CASE("confined: a symlink that stays inside the root works with openat2",
          "[confined]") {
  Tree t;
  fs::create_symlink("src/a.c", t.root + "/link.c");
  auto read = read_confined(t.options(true), t.root + "/link.c");
  REQUIRE(read.ok());
  CHECK(read->bytes.starts_with("int main"));
  // The fallback follows no symlink at all.
  auto walked = read_confined(t.options(false), t.root + "/link.c");
  REQUIRE_FALSE(walked.ok());
  CHECK(walked.error().reason == kFileRefused);
}

// Every way out, and every kind of file that is not a regular one: all
// refused with the same error, byte for byte.
TEST_CASE("confined: every refusal is the same not_found", "[confined]") {
  Tree t;
  fs::create_symlink("/etc/passwd", t.root + "/passwd");
  fs::create_symlink("../outside.txt", t.root + "/up.txt");
  fs::create_symlink(t.tmp / "outside.txt", t.root + "/abs.txt");
  fs::create_symlink("/etc", t.root + "/etc");
  fs::create_symlink("/proc/self/environ", t.root + "/environ");
  fs::create_symlink("/proc/self/root", t.root + "/selfroot");
  fs::create_symlink("loop2", t.root + "/loop1");
  fs::create_symlink("loop1", t.root + "/loop2");
  REQUIRE(::mkfifo((t.root + "/fifo").c_str(), 0644) == 0);
  fs::create_directories(t.root + "/dir");
  const bool have_device =
      ::mknod((t.root + "/zero").c_str(), S_IFCHR | 0644, makedev(1, 5)) == 0;
  std::vector<std::string> paths = {
      "/etc/passwd",
      "/etc/shadow",
      "/proc/self/environ",
      "/dev/zero",
      (t.tmp / "outside.txt").string(),
      t.root + "/../outside.txt",
      t.root + "/../../../../etc/passwd",
      t.root + "/src/../../outside.txt",
      t.root + "/./src/a.c",
      t.root,
      t.root + "/",
      "src/a.c",
      "",
      t.root + "/missing.c",
      t.root + "/src/missing/a.c",
      t.root + "/passwd",
      t.root + "/up.txt",
      t.root + "/abs.txt",
      t.root + "/etc/passwd",
      t.root + "/environ",
      t.root + "/selfroot/etc/passwd",
      t.root + "/loop1",
      t.root + "/fifo",
      t.root + "/dir",
      t.root + "/src/a.c/x",
  };
  if (have_device) paths.push_back(t.root + "/zero");
  std::set<std::string> reasons;
  for (bool openat2 : kModes) {
    for (const std::string& path : paths) {
      CAPTURE(mode_name(openat2), path);
      // A FIFO without a writer must not block: this returns at once.
      auto read = read_confined(t.options(openat2), path);
      REQUIRE_FALSE(read.ok());
      CHECK(read.error().code == ErrorCode::not_found);
      CHECK(read.error().field == "file_path");
      reasons.insert(read.error().describe());
    }
  }
  CHECK(reasons.size() == 1);
  CHECK(*reasons.begin() ==
        "not_found: file_path: not a readable regular file under the "
        "worker's roots");
  if (!have_device) WARN("mknod not permitted: device node case skipped");
}

TEST_CASE("confined: no roots, or a root that does not exist, refuses",
          "[confined]") {
  Tree t;
  ConfinedReadOptions none;
  auto read = read_confined(none, t.root + "/src/a.c");
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().reason == kFileRefused);
  ConfinedReadOptions missing;
  missing.roots = {(t.tmp / "no-such-root").string()};
  read = read_confined(missing, (t.tmp / "no-such-root/a.c").string());
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().reason == kFileRefused);
}

TEST_CASE("confined: an unreadable file is refused like a missing one",
          "[confined]") {
  if (::geteuid() == 0) {
    WARN("running as root, which reads chmod 000 files: case skipped");
    return;
  }
  Tree t;
  REQUIRE(::chmod((t.root + "/src/a.c").c_str(), 0) == 0);
  auto read = read_confined(t.options(true), t.root + "/src/a.c");
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().reason == kFileRefused);
}

TEST_CASE("confined: a file over the limit is not read", "[confined]") {
  Tree t;
  // 8 GiB, sparse: reading it would take seconds and 8 GiB of memory.
  const std::string big = t.root + "/big.bin";
  { std::ofstream(big, std::ios::binary); }
  fs::resize_file(big, std::uint64_t{8} << 30);
  for (bool openat2 : kModes) {
    CAPTURE(mode_name(openat2));
    const auto start = std::chrono::steady_clock::now();
    auto read = read_confined(t.options(openat2), big);
    REQUIRE(read.ok());
    CHECK(read->over_limit);
    CHECK(read->size == std::uint64_t{8} << 30);
    CHECK(read->bytes.empty());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  }
  ConfinedReadOptions tight = t.options(true);
  tight.bytes_max = 10;
  auto read = read_confined(tight, t.root + "/src/a.c");
  REQUIRE(read.ok());
  CHECK(read->over_limit);
  tight.bytes_max = 29;  // exactly the file's size
  read = read_confined(tight, t.root + "/src/a.c");
  REQUIRE(read.ok());
  CHECK_FALSE(read->over_limit);
  CHECK(read->bytes.size() == 29);
}

TEST_CASE("confined: cancel, stop and the deadline end a read", "[confined]") {
  Tree t;
  const std::string big = t.root + "/big.bin";
  { std::ofstream(big, std::ios::binary); }
  fs::resize_file(big, 64 << 20);
  ConfinedReadOptions options = t.options(true);
  options.bytes_max = 128 << 20;
  std::atomic<bool> cancelled{true}, stopping{false};
  auto read = read_confined(options, big, Interrupt(&cancelled, &stopping));
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().code == ErrorCode::unavailable);
  CHECK_THAT(read.error().reason, Catch::StartsWith("interrupted"));
  cancelled = false;
  stopping = true;
  read = read_confined(options, big, Interrupt(&cancelled, &stopping));
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().code == ErrorCode::unavailable);
  // Set while the read runs: it stops at the next chunk (or had already
  // finished, which a fast machine may manage: both are correct).
  stopping = false;
  std::thread setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    cancelled = true;
  });
  read = read_confined(options, big, Interrupt(&cancelled, &stopping));
  setter.join();
  CHECK((!read.ok() || read->bytes.size() == (64u << 20)));
  options.timeout_ms = 0;
  read = read_confined(options, big);
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().code == ErrorCode::timeout);
  CHECK(read.error().reason == "reading file_path took over 0 ms");
}

}  // namespace
}  // namespace slurp::worker
