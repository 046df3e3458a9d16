// What slurpctl generate sends for a tree (src/client/tree_plan.h).
#include "src/client/tree_plan.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

namespace slurp::client {
namespace {
namespace fs = std::filesystem;

struct TempTree {
  fs::path root;
  TempTree() {
    root = fs::temp_directory_path() /
           ("slurp-tree-" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "proj/src/net");
    fs::create_directories(root / "proj/.git");
    std::ofstream(root / "proj/README.md") << "# p\n";
    std::ofstream(root / "proj/src/main.c") << "int main(){}\n";
    std::ofstream(root / "proj/src/net/bus.c") << "int bus;\n";
    std::ofstream(root / "proj/.git/HEAD") << "ref\n";
    fs::create_symlink(root / "proj/src", root / "proj/loop");
  }
  ~TempTree() { fs::remove_all(root); }
};

TEST_CASE("a recursive plan puts entries before their directory", "[tree]") {
  TempTree t;
  TreeOptions options;
  options.recursive = true;
  options.root = t.root;
  auto plan = plan_tree({t.root / "proj"}, options);
  REQUIRE(plan.ok());
  CHECK(plan->project == fs::path(t.root).filename().string());
  std::vector<std::string> order;
  for (const auto& item : plan->items) {
    order.push_back(item.address.substr(item.address.find('/', 7)));
  }
  CHECK(order == std::vector<std::string>{"/proj/README.md", "/proj/src/main.c",
                                          "/proj/src/net/bus.c",
                                          "/proj/src/net", "/proj/src",
                                          "/proj"});
  const PlannedItem& top = plan->items.back();
  CHECK(top.directory);
  REQUIRE(top.entry_indexes.size() == 2);  // README.md and src; .git hidden
  CHECK(plan->items[top.entry_indexes[1]].address == top.depends_on[1]);
  // The symlink is reported, never followed.
  REQUIRE(plan->skipped.size() == 1);
  CHECK(plan->skipped[0].find("loop") != std::string::npos);
}

TEST_CASE("hidden entries are included when asked", "[tree]") {
  TempTree t;
  TreeOptions options;
  options.recursive = true;
  options.include_hidden = true;
  options.root = t.root;
  options.project = "demo";
  auto plan = plan_tree({t.root / "proj"}, options);
  REQUIRE(plan.ok());
  bool git = false;
  for (const auto& item : plan->items) {
    CHECK(item.address.starts_with("ucxl://demo/proj"));
    git = git || item.address.ends_with("/.git/HEAD");
  }
  CHECK(git);
}

TEST_CASE("without --recursive a directory is one item", "[tree]") {
  TempTree t;
  TreeOptions options;
  options.root = t.root;
  auto plan =
      plan_tree({t.root / "proj/src", t.root / "proj/README.md"}, options);
  REQUIRE(plan.ok());
  REQUIRE(plan->items.size() == 2);
  CHECK(plan->items[0].directory);
  CHECK(plan->items[0].depends_on.empty());
}

TEST_CASE("bad paths are clear errors", "[tree]") {
  TempTree t;
  TreeOptions options;
  options.root = t.root / "proj/src";
  auto outside = plan_tree({t.root / "proj/README.md"}, options);
  REQUIRE_FALSE(outside.ok());
  CHECK(outside.error().field == "PATH");
  auto missing = plan_tree({t.root / "nope"}, {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::not_found);
  options.root = t.root;
  options.project = "bad project!";
  auto project = plan_tree({t.root / "proj"}, options);
  REQUIRE_FALSE(project.ok());
  CHECK(project.error().field == "--project");
}

}  // namespace
}  // namespace slurp::client
