// The exec engine (`slurp-worker --engine exec:CMD`): runs a command per
// job, so that any program (a script calling an LLM, say) can generate
// contexts. The command runs as `/bin/sh -c CMD` with the job as one JSON
// object on stdin and $SLURP_JOB_ID, $SLURP_ATTEMPT, $SLURP_ADDRESS set,
// and prints the context as one JSON object on stdout. The contract is
// PROTOCOL.md's "Exec engine" section (src/worker/context_json.h).
//
// Every way a command can go wrong ends the attempt with a reason (the
// leader retries it with back-off, then dead-letters it):
//   timeout      "command timed out after N ms" (its process group killed)
//   too_large    "command output over N bytes"
//   internal     "command exited with status N", "command killed by
//                signal N", "cannot run /bin/sh: ..."
//   unavailable  "interrupted: ..." (cancelled, or the worker stopping;
//                the worker sends no result for it)
//   not_found    file_path refused (confined_file.h: one reason for all)
//   bad_request  "stdout is not a context: ..." (not JSON, a mistyped
//                field, another address, ...)
// The end of the command's stderr follows the reason when there is one.
//
// Stateless between calls; any thread, several at once (each call runs
// its own process).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/limits.h"
#include "src/worker/confined_file.h"
#include "src/worker/engine.h"

namespace slurp::worker {

// What contexts carry as engine_version unless --exec-engine-version says
// otherwise. The leader serves cache hits only for the built-in engine's
// version, so an exec context is regenerated when asked for again.
inline constexpr std::string_view kExecEngineVersion = "1";

struct ExecOptions {
  std::string command;  // for /bin/sh -c
  std::uint64_t timeout_ms = limits::exec_timeout_ms;
  std::size_t output_bytes_max = limits::exec_output_bytes_max;
  std::string version = std::string(kExecEngineVersion);
  // file_path: read by the worker under these roots (none: refused) and
  // handed to the command as content; over bytes_max fails the attempt.
  std::vector<std::string> file_roots;
  std::size_t content_bytes_max = limits::content_bytes_max;
};

class ExecEngine : public Engine {
 public:
  explicit ExecEngine(ExecOptions options) : options_(std::move(options)) {
    files_.roots = options_.file_roots;
    files_.bytes_max = options_.content_bytes_max;
  }
  using Engine::generate;
  Result<Context> generate(const Job& job, const Interrupt& interrupt) override;
  std::string name() const override { return "exec"; }
  std::string version() const override { return options_.version; }

 private:
  const ExecOptions options_;
  ConfinedReadOptions files_;
};

}  // namespace slurp::worker
