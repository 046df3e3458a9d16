// The engine phase of slurp-bench: how fast the built-in engine analyses a
// real tree on one thread, next to `cloc` (Debian's, 1.96) counting the same
// files in the same run.
//
// The tree is walked once (regular files only, symlinks and files over
// file_bytes_max left out) and read into memory; both tools then get that
// one list: the engine as Jobs with their bytes, cloc as --list-file.
// The engine's figure is the time of BuiltinEngine::generate over every
// job (language, line counts, symbols, imports, summary, content hash);
// cloc's is the wall clock of its process, reading included, because
// that is what a user of cloc waits for.
//
// Free functions; call them from one thread (run_cloc spawns and waits for
// a child process).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "protocol/limits.h"
#include "protocol/messages.h"
#include "protocol/result.h"

namespace slurp::bench {

struct EngineTree {
  std::filesystem::path root;
  std::vector<std::filesystem::path> paths;  // absolute, in walk order
  std::vector<Job> jobs;  // one per path: address ucxl://bench/<relpath>
  std::uint64_t bytes = 0;
  std::uint64_t skipped_large = 0;  // over file_bytes_max: in neither list
  std::uint64_t skipped_unreadable = 0;
};

// Bounds of one tree's walk.
struct EngineTreeLimits {
  std::size_t files_max = 200000;
  // The engine answers "huge" without analysing bigger files; leaving them
  // out keeps the two tools doing the same work.
  std::size_t file_bytes_max = limits::content_bytes_max;
};

// Walks `root` (sorted, so runs compare) and reads every file. Errors:
// bad_request (root is not a directory, or holds no file).
Result<EngineTree> load_engine_tree(const std::filesystem::path& root,
                                    const EngineTreeLimits& limits);

// Wall-clock seconds are the figures; CPU seconds say how much of the
// wall clock was spent waiting for a core on a shared machine.
struct EngineRun {
  double seconds = 0;
  double cpu_seconds = 0;                 // this thread's
  std::uint64_t files_with_language = 0;  // the rest: binary, huge, errors
  std::uint64_t errors = 0;               // generate() returned an error
};

// BuiltinEngine::generate over every job of `tree`, on this thread.
EngineRun run_builtin_engine(const EngineTree& tree);

struct ClocRun {
  double seconds = 0;
  double cpu_seconds = 0;           // user + system of the cloc process
  std::uint64_t files_counted = 0;  // rows of its --by-file CSV
  int exit_code = 0;
};

// `cloc --by-file --csv --quiet --list-file=LIST`, with LIST written to
// `work_dir`, and its wall-clock time. cloc's uniqueness check stays on
// (its default: a file whose bytes it has counted already is left out),
// as the engine reuses the extraction of bytes it has read already
// (src/engine/extraction_cache.h): neither reads a copy twice. Errors:
// not_found (no such program: the message says how to install it),
// internal (it could not be run or was killed).
Result<ClocRun> run_cloc(const EngineTree& tree, const std::string& cloc,
                         const std::filesystem::path& work_dir);

}  // namespace slurp::bench
