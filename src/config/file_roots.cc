#include "src/config/file_roots.h"

#include "protocol/limits.h"

namespace slurp::config {
namespace {

// The components of an absolute path, or nullopt when one is "." or ".."
// (or empty, unless empty ones are tolerated: "//" in a file_path).
std::optional<std::vector<std::string_view>> components(std::string_view path,
                                                        bool allow_empty) {
  std::vector<std::string_view> out;
  std::size_t i = 1;  // after the leading '/'
  while (i <= path.size()) {
    std::size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(i, end - i);
    if (part == "." || part == "..") return std::nullopt;
    if (part.empty()) {
      if (!allow_empty) return std::nullopt;
    } else {
      out.push_back(part);
    }
    i = end + 1;
  }
  return out;
}

bool starts_with_dir(std::string_view path, std::string_view dir) {
  return path == dir || (path.starts_with(dir) && path.size() > dir.size() &&
                         path[dir.size()] == '/');
}

}  // namespace

std::optional<std::string> file_root_problem(std::string_view root) {
  if (root.empty() || root.front() != '/') {
    return "must be an absolute path";
  }
  if (root.size() > limits::file_path_bytes_max) {
    return "is over " + std::to_string(limits::file_path_bytes_max) + " bytes";
  }
  if (root.find('\0') != std::string_view::npos) return "contains NUL";
  if (root == "/") return "must not be / (it would confine nothing)";
  if (!components(root, false)) {
    return "must be a clean path (no '.', '..', '//' or trailing '/')";
  }
  for (std::string_view pseudo : {"/proc", "/sys", "/dev"}) {
    if (starts_with_dir(root, pseudo)) {
      return "must not be in " + std::string(pseudo);
    }
  }
  return std::nullopt;
}

std::optional<std::string> file_roots_problem(
    const std::vector<std::string>& roots) {
  if (roots.size() > limits::file_roots_max) {
    return "at most " + std::to_string(limits::file_roots_max) +
           " roots (got " + std::to_string(roots.size()) + ")";
  }
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (auto problem = file_root_problem(roots[i])) {
      return "root " + std::to_string(i) + " (\"" + roots[i] + "\") " +
             *problem;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (roots[j] == roots[i]) {
        return "root " + std::to_string(i) + " (\"" + roots[i] +
               "\") is listed twice";
      }
    }
  }
  return std::nullopt;
}

std::optional<RootedPath> split_under_roots(
    const std::vector<std::string>& roots, std::string_view path) {
  if (path.empty() || path.front() != '/' ||
      path.size() > limits::file_path_bytes_max ||
      path.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  auto parts = components(path, true);
  if (!parts) return std::nullopt;
  for (std::size_t r = 0; r < roots.size(); ++r) {
    if (file_root_problem(roots[r])) continue;
    auto root_parts = components(roots[r], false);
    if (!root_parts || parts->size() <= root_parts->size()) continue;
    bool under = true;
    for (std::size_t k = 0; k < root_parts->size() && under; ++k) {
      under = (*root_parts)[k] == (*parts)[k];
    }
    if (!under) continue;
    RootedPath out{r, ""};
    for (std::size_t k = root_parts->size(); k < parts->size(); ++k) {
      if (!out.relative.empty()) out.relative += '/';
      out.relative += (*parts)[k];
    }
    return out;
  }
  return std::nullopt;
}

bool path_under_roots(const std::vector<std::string>& roots,
                      std::string_view path) {
  return split_under_roots(roots, path).has_value();
}

}  // namespace slurp::config
