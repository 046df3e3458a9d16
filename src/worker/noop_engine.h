// The no-op engine: a context that records only the address and the
// inline content's hash and size (a file_path is not read). It measures the
// pipeline without the cost of analysis (slurp-bench) and is the worker's
// engine until the built-in analyzer lands. Stateless; any thread.
#pragma once

#include "src/worker/engine.h"

namespace slurp::worker {

// The engine version the cluster expects of a context for a cache hit
// (the leader stamps it into each enqueue). Bump when output changes.
inline constexpr std::string_view kNoopEngineVersion = "1";

class NoopEngine : public Engine {
 public:
  using Engine::generate;
  Result<Context> generate(const Job& job, const Interrupt& interrupt) override;
  std::string name() const override { return "noop"; }
  std::string version() const override {
    return std::string(kNoopEngineVersion);
  }
};

}  // namespace slurp::worker
