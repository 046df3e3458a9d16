// What `slurpctl generate PATH... --recursive` sends: one generate per file
// (content read at send time) and one per directory that depends on its
// entries, in an order where every entry comes before its directory.
//
// Addresses: ucxl://PROJECT/REL, REL being the path relative to `root`
// (default: the current directory when every PATH is inside it, else the
// first PATH's parent) and PROJECT the root's name unless given. Hidden
// entries (a name starting with '.') are skipped unless asked for, and
// symbolic links are never followed into directories, so a walk ends.
//
// Free functions; any thread. Reads the file system, nothing else.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "protocol/result.h"

namespace slurp::client {

struct PlannedItem {
  std::string address;
  std::filesystem::path path;
  bool directory = false;
  std::vector<std::string> depends_on;     // its entries' addresses
  std::vector<std::size_t> entry_indexes;  // the same, as item indexes
};

struct TreePlan {
  std::filesystem::path root;
  std::string project;
  std::vector<PlannedItem> items;    // every entry before its directory
  std::vector<std::string> skipped;  // "path: why", for the user
};

struct TreeOptions {
  bool recursive = false;
  bool include_hidden = false;
  std::string project;              // "" : the root's name
  std::filesystem::path root;       // "" : see above
  std::size_t items_max = 1000000;  // refuse bigger trees
};

Result<TreePlan> plan_tree(const std::vector<std::filesystem::path>& paths,
                           const TreeOptions& options);

}  // namespace slurp::client
