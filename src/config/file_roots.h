// The roots a worker may read `file_path` under (cluster.toml's [files]
// roots, slurp-worker --file-root), checked lexically: nothing here
// touches the file system. The worker then opens the remainder beneath
// the root's directory without following links out of it
// (src/worker/confined_file.h); a node may refuse a file_path at admission
// with path_under_roots, before any worker sees it.
//
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slurp::config {

// Why `root` cannot be a root, or nullopt. A root is an absolute, clean
// path: no empty, "." or ".." components, no trailing '/', no NUL, at most
// limits::file_path_bytes_max bytes; not "/" itself and not in /proc, /sys
// or /dev (their files lie about their sizes or are devices). Whether it
// exists is not checked: a root made later works once it exists.
std::optional<std::string> file_root_problem(std::string_view root);

// Why the list cannot be the roots (too many, a bad one, a duplicate), or
// nullopt. The message names the index of the root at fault.
std::optional<std::string> file_roots_problem(
    const std::vector<std::string>& roots);

// `path` split at the first root it lies under: roots[root] + "/" +
// relative. `relative` is never empty, never starts with '/', and has no
// empty, "." or ".." components.
struct RootedPath {
  std::size_t root = 0;
  std::string relative;
};

// The first root `path` lies under, lexically, or nullopt: `path` must be
// absolute and at most limits::file_path_bytes_max bytes, with no NUL, no
// "." or ".." components (repeated '/' are tolerated, as the kernel does);
// the root itself is not a file and never matches.
std::optional<RootedPath> split_under_roots(
    const std::vector<std::string>& roots, std::string_view path);

// Whether split_under_roots finds a root: what a node checks at admission.
bool path_under_roots(const std::vector<std::string>& roots,
                      std::string_view path);

}  // namespace slurp::config
