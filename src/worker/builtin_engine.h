// The built-in engine: analyses a file's bytes with src/engine (language,
// line counts, symbols, imports, doc summary, todos, license) into a
// Context, and rolls a directory up from its children's contexts (the
// job's `dependencies`). No network, no model: fast, deterministic, good
// enough to navigate a tree. Immutable after construction; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/limits.h"
#include "src/worker/confined_file.h"
#include "src/worker/engine.h"

namespace slurp::worker {

// The version the cluster stamps into enqueues for cache hits; bump when
// the output for the same bytes changes.
inline constexpr std::string_view kBuiltinEngineVersion = "0.2.0";

class BuiltinEngine : public Engine {
 public:
  // Files bigger than content_bytes_max get a small "huge" context
  // instead of an analysis (slurp-worker --content-bytes-max). file_path
  // is read only under `file_roots` (none: every file_path fails).
  explicit BuiltinEngine(
      std::size_t content_bytes_max = limits::content_bytes_max,
      std::vector<std::string> file_roots = {}) {
    files_.bytes_max = content_bytes_max;
    files_.roots = std::move(file_roots);
  }
  using Engine::generate;
  Result<Context> generate(const Job& job, const Interrupt& interrupt) override;
  std::string name() const override { return "builtin"; }
  std::string version() const override {
    return std::string(kBuiltinEngineVersion);
  }

 private:
  ConfinedReadOptions files_;
};

}  // namespace slurp::worker
