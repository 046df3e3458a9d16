// A context engine: turns one job into a Context. Workers call it from
// their engine threads, so an implementation must be safe to call from
// several threads at once (keep no mutable state, or guard it).
#pragma once

#include <string>

#include "protocol/messages.h"
#include "protocol/result.h"
#include "src/worker/interrupt.h"

namespace slurp::worker {

class Engine {
 public:
  virtual ~Engine() = default;
  // The context for `job`, or an error that fails this attempt (the
  // leader retries it with back-off, then dead-letters it). Long work
  // (reading a file, running a command) checks `interrupt` between steps
  // and gives up with any error once it fires: the job was cancelled or
  // the worker is stopping, and the worker sends no result for it.
  virtual Result<Context> generate(const Job& job,
                                   const Interrupt& interrupt) = 0;
  // The same, never interrupted (tests, tools). Subclasses say
  // `using Engine::generate;` to keep it visible.
  Result<Context> generate(const Job& job) { return generate(job, {}); }
  virtual std::string name() const = 0;
  virtual std::string version() const = 0;
};

}  // namespace slurp::worker
