// A context engine: turns one job into a Context. Workers call it from
// their engine threads, so an implementation must be safe to call from
// several threads at once (keep no mutable state, or guard it).
#pragma once

#include <string>

#include "protocol/messages.h"
#include "protocol/result.h"

namespace slurp::worker {

class Engine {
 public:
  virtual ~Engine() = default;
  // The context for `job`, or an error that fails this attempt (the
  // leader retries it with back-off, then dead-letters it).
  virtual Result<Context> generate(const Job& job) = 0;
  virtual std::string name() const = 0;
  virtual std::string version() const = 0;
};

}  // namespace slurp::worker
