// The built-in engine: analyses a file's bytes with src/engine (language,
// line counts, symbols, imports, doc summary, todos) into a Context. No
// network, no model: fast, deterministic, good enough to navigate a tree.
// Stateless; any thread.
#pragma once

#include <string_view>

#include "src/worker/engine.h"

namespace slurp::worker {

// The version the cluster stamps into enqueues for cache hits; bump when
// the output for the same bytes changes.
inline constexpr std::string_view kBuiltinEngineVersion = "0.1.0";

class BuiltinEngine : public Engine {
 public:
  Result<Context> generate(const Job& job) override;
  std::string name() const override { return "builtin"; }
  std::string version() const override {
    return std::string(kBuiltinEngineVersion);
  }
};

}  // namespace slurp::worker
