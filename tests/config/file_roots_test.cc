// The lexical half of file_path confinement: which roots are sound and
// which paths lie under one (src/config/file_roots.h). The worker's
// confined reader (tests/worker/confined_file_test.cc) does the rest on
// real files.

#include "src/config/file_roots.h"

#include <catch2/catch.hpp>

#include "protocol/limits.h"

namespace slurp::config {
namespace {

const std::vector<std::string> kRoots{"/srv/src", "/home/ci/work"};

TEST_CASE("file roots: what a root may be", "[file_roots]") {
  CHECK_FALSE(file_root_problem("/srv/src"));
  CHECK_FALSE(file_root_problem("/a"));
  CHECK(file_root_problem(""));
  CHECK(file_root_problem("srv"));
  CHECK(file_root_problem("/"));
  CHECK(file_root_problem("/srv/"));
  CHECK(file_root_problem("//srv"));
  CHECK(file_root_problem("/srv/./src"));
  CHECK(file_root_problem("/srv/.."));
  CHECK(file_root_problem(std::string("/srv\0x", 6)));
  CHECK(file_root_problem("/proc"));
  CHECK(file_root_problem("/proc/1/root"));
  CHECK(file_root_problem("/sys/kernel"));
  CHECK(file_root_problem("/dev"));
  CHECK_FALSE(file_root_problem("/device"));  // a name, not /dev
  CHECK(file_root_problem("/" + std::string(limits::file_path_bytes_max, 'a')));
  CHECK_FALSE(file_roots_problem({}));
  CHECK_FALSE(file_roots_problem(kRoots));
  CHECK(*file_roots_problem({"/a", "/a"}) == "root 1 (\"/a\") is listed twice");
  CHECK(*file_roots_problem({"/a", "b"}) ==
        "root 1 (\"b\") must be an absolute path");
}

TEST_CASE("file roots: a path under a root is split there", "[file_roots]") {
  auto split = split_under_roots(kRoots, "/srv/src/lib/a.c");
  REQUIRE(split);
  CHECK(split->root == 0);
  CHECK(split->relative == "lib/a.c");
  split = split_under_roots(kRoots, "/home/ci/work//x.py");
  REQUIRE(split);
  CHECK(split->root == 1);
  CHECK(split->relative == "x.py");
  CHECK(path_under_roots(kRoots, "/srv/src/.hidden"));
  CHECK(path_under_roots(kRoots, "/srv/src/a..b"));
}

TEST_CASE("file roots: everything else is refused", "[file_roots]") {
  for (const std::string path :
       {"", "srv/src/a.c", "/etc/passwd", "/etc/shadow", "/srv/src",
        "/srv/src/", "/srv/srcx/a.c", "/srv", "/srv/src/../../etc/passwd",
        "/srv/src/lib/../a.c", "/srv/src/./a.c", "/srv/src/..",
        "/proc/self/environ", "/dev/zero", "/home/ci/work/.."}) {
    CAPTURE(path);
    CHECK_FALSE(path_under_roots(kRoots, path));
  }
  CHECK_FALSE(path_under_roots(kRoots, std::string("/srv/src/a\0b", 12)));
  CHECK_FALSE(path_under_roots(
      kRoots, "/srv/src/" + std::string(limits::file_path_bytes_max, 'a')));
  CHECK_FALSE(path_under_roots({}, "/srv/src/a.c"));
  // A bad root never matches, even if a caller skipped validation.
  CHECK_FALSE(path_under_roots({"/"}, "/etc/passwd"));
  CHECK_FALSE(path_under_roots({"/srv/../etc"}, "/srv/../etc/passwd"));
}

}  // namespace
}  // namespace slurp::config
