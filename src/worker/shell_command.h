// Runs one shell command with bounded everything: `/bin/sh -c COMMAND` in
// its own process group, `input` on its stdin, stdout kept up to a bound,
// the end of stderr kept, and a deadline (or an interrupt) after which the
// whole group is killed. The exec engine runs each job through this.
//
// No deadlock whatever the command does: stdin is written while stdout
// and stderr are read (poll), and a command that does not read its stdin,
// or closes it, only ends the writing (EPIPE; SIGPIPE is blocked in the
// calling thread and consumed). The command's descendants left in its
// process group when it exits are killed, so a timed-out `sh -c 'sleep
// 100'` leaves nothing behind; one that starts its own session escapes.
//
// Thread-safe: each call owns its pipes (close-on-exec, so commands run by
// other threads never hold them) and reaps its own child. The process must
// not set SIGCHLD to SIG_IGN (children would be reaped behind our back).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"
#include "src/worker/interrupt.h"

namespace slurp::worker {

// How often a running command's interrupt is looked at.
inline constexpr int kInterruptPollMs = 20;

struct ShellCommand {
  std::string command;  // given to /bin/sh -c
  // "NAME=value" entries added to (or replacing in) the worker's own
  // environment.
  std::vector<std::string> environment;
  std::string_view input;  // written to stdin, which is then closed
  std::uint64_t timeout_ms = 0;
  std::size_t stdout_bytes_max = 0;
  std::size_t stderr_bytes_max = 0;  // the last bytes are kept
  // Checked every kInterruptPollMs: once it fires, the process group is
  // killed (cancel, SIGTERM).
  Interrupt interrupt;
};

struct ShellOutcome {
  enum class End {
    exited,       // status: its exit status
    signalled,    // status: the signal that killed it
    timed_out,    // killed at the deadline
    output_over,  // killed when stdout passed stdout_bytes_max
    interrupted,  // killed when `interrupt` fired
  };
  End end = End::exited;
  int status = 0;
  std::string out;       // stdout; complete only when it exited
  std::string err_tail;  // the end of stderr
};

// The outcome, or an `internal` error when the command could not be
// started (no pipes, no /bin/sh).
Result<ShellOutcome> run_shell_command(const ShellCommand& command);

}  // namespace slurp::worker
