#include "src/client/tree_plan.h"

#include <algorithm>
#include <map>
#include <system_error>

#include "protocol/limits.h"
#include "protocol/ucxl_address.h"

namespace slurp::client {
namespace fs = std::filesystem;
namespace {

bool inside(const fs::path& path, const fs::path& dir) {
  auto rel = path.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

class Planner {
 public:
  Planner(const TreeOptions& options, TreePlan& plan)
      : options_(options), plan_(plan) {}

  // Adds `path` (and, for a directory, what is under it when recursive);
  // returns its item index, or nothing when it was skipped.
  Result<std::optional<std::size_t>> add(const fs::path& path) {
    if (plan_.items.size() >= options_.items_max) {
      return make_error(ErrorCode::too_large,
                        "more than " + std::to_string(options_.items_max) +
                            " files and directories",
                        "PATH");
    }
    if (auto known = seen_.find(path); known != seen_.end()) {
      return std::optional<std::size_t>(known->second);
    }
    std::error_code ec;
    const fs::file_status status = fs::symlink_status(path, ec);
    if (ec) {
      return make_error(ErrorCode::not_found,
                        path.string() + ": " + ec.message(), "PATH");
    }
    const std::string rel =
        path.lexically_relative(plan_.root).generic_string();
    const std::string address = "ucxl://" + plan_.project + "/" + rel;
    if (!parse_ucxl(address)) {
      plan_.skipped.push_back(path.string() +
                              ": its name cannot be a UCXL address");
      return std::optional<std::size_t>();
    }
    PlannedItem item;
    item.address = address;
    item.path = path;
    if (fs::is_directory(status)) {
      item.directory = true;
      if (options_.recursive) {
        std::vector<fs::path> entries;
        for (fs::directory_iterator it(path, ec), end; !ec && it != end;
             it.increment(ec)) {
          const std::string name = it->path().filename().string();
          if (!options_.include_hidden && name.starts_with('.')) continue;
          entries.push_back(it->path());
        }
        if (ec) {
          plan_.skipped.push_back(path.string() + ": " + ec.message());
          return std::optional<std::size_t>();
        }
        std::sort(entries.begin(), entries.end());
        for (const fs::path& entry : entries) {
          auto index = add(entry);
          if (!index) return index.error();
          if (!*index) continue;
          if (item.entry_indexes.size() == limits::depends_on_max) {
            plan_.skipped.push_back(
                entry.string() + ": its directory already lists " +
                std::to_string(limits::depends_on_max) +
                " entries (it gets a context, the directory's roll-up "
                "leaves it out)");
            continue;
          }
          item.entry_indexes.push_back(**index);
          item.depends_on.push_back(plan_.items[**index].address);
        }
      }
    } else if (!fs::is_regular_file(status)) {
      plan_.skipped.push_back(path.string() +
                              ": not a regular file or directory");
      return std::optional<std::size_t>();
    }
    plan_.items.push_back(std::move(item));
    seen_[path] = plan_.items.size() - 1;
    return std::optional<std::size_t>(plan_.items.size() - 1);
  }

 private:
  const TreeOptions& options_;
  TreePlan& plan_;
  std::map<fs::path, std::size_t> seen_;
};

}  // namespace

Result<TreePlan> plan_tree(const std::vector<fs::path>& paths,
                           const TreeOptions& options) {
  if (paths.empty()) {
    return make_error(ErrorCode::bad_request, "no PATH given", "PATH");
  }
  std::vector<fs::path> absolute;
  for (const fs::path& p : paths) {
    std::error_code ec;
    fs::path a = fs::absolute(p, ec).lexically_normal();
    if (a.has_filename() == false) a = a.parent_path();  // "dir/" -> "dir"
    if (ec || !fs::exists(a, ec)) {
      return make_error(ErrorCode::not_found, p.string() + ": no such file",
                        "PATH");
    }
    absolute.push_back(a);
  }
  TreePlan plan;
  if (!options.root.empty()) {
    plan.root = fs::absolute(options.root).lexically_normal();
  } else {
    const fs::path cwd = fs::current_path();
    const bool all_inside =
        std::all_of(absolute.begin(), absolute.end(),
                    [&](const fs::path& a) { return inside(a, cwd); });
    plan.root = all_inside ? cwd : absolute.front().parent_path();
  }
  if (plan.root.has_filename() == false && plan.root != plan.root.root_path()) {
    plan.root = plan.root.parent_path();
  }
  for (const fs::path& a : absolute) {
    if (!inside(a, plan.root)) {
      return make_error(ErrorCode::bad_request,
                        a.string() + " is not under the root " +
                            plan.root.string() + " (give --root)",
                        "PATH");
    }
  }
  plan.project =
      options.project.empty() ? plan.root.filename().string() : options.project;
  if (plan.project.empty()) plan.project = "root";
  if (!parse_ucxl("ucxl://" + plan.project + "/x")) {
    return make_error(
        ErrorCode::bad_request,
        "'" + plan.project + "' cannot be a UCXL project name: give --project",
        "--project");
  }
  Planner planner(options, plan);
  for (const fs::path& a : absolute) {
    auto added = planner.add(a);
    if (!added) return added.error();
  }
  return plan;
}

}  // namespace slurp::client
