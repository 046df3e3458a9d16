#include "src/worker/exec_engine.h"

#include <chrono>

#include "src/clock/clocks.h"
#include "src/worker/context_json.h"
#include "src/worker/job_bytes.h"
#include "src/worker/shell_command.h"
#include "src/worker/utf8.h"

namespace slurp::worker {
namespace {

// The last lines of stderr as one line of valid UTF-8 (reasons travel as
// msgpack strings and end up in logs): at most
// exec_stderr_reason_bytes_max bytes, whole lines when they fit, line
// breaks shown as " | ", other control bytes and broken UTF-8 as '?'.
std::string stderr_reason(std::string_view err) {
  while (!err.empty() && std::string_view(" \t\r\n").find(err.back()) !=
                             std::string_view::npos) {
    err.remove_suffix(1);
  }
  if (err.size() > limits::exec_stderr_reason_bytes_max) {
    err.remove_prefix(err.size() - limits::exec_stderr_reason_bytes_max);
    if (auto nl = err.find('\n'); nl != std::string_view::npos) {
      err.remove_prefix(nl + 1);
    }
  }
  std::string out;
  for (std::size_t i = 0; i < err.size();) {
    const std::size_t n = utf8_sequence_bytes(err, i);
    const char c = err[i];
    if (c == '\n') {
      out += " | ";
    } else if (n == 0 || (n == 1 && (static_cast<unsigned char>(c) < 0x20 ||
                                     c == 0x7f))) {
      out += c == '\t' || c == '\r' ? ' ' : '?';
    } else {
      out.append(err.substr(i, n));
    }
    i += n == 0 ? 1 : n;
  }
  return out;
}

Error failure(ErrorCode code, std::string reason, std::string_view err) {
  const std::string tail = stderr_reason(err);
  if (!tail.empty()) reason += ": " + tail;
  return make_error(code, std::move(reason));
}

Status check_ended_well(const ShellOutcome& ran, const ExecOptions& options) {
  using End = ShellOutcome::End;
  switch (ran.end) {
    case End::timed_out:
      return failure(ErrorCode::timeout,
                     "command timed out after " +
                         std::to_string(options.timeout_ms) + " ms",
                     ran.err_tail);
    case End::interrupted:
      return failure(ErrorCode::unavailable,
                     "interrupted: the job was cancelled or the worker is "
                     "stopping",
                     ran.err_tail);
    case End::output_over:
      return failure(ErrorCode::too_large,
                     "command output over " +
                         std::to_string(options.output_bytes_max) + " bytes",
                     ran.err_tail);
    case End::signalled:
      return failure(ErrorCode::internal,
                     "command killed by signal " + std::to_string(ran.status),
                     ran.err_tail);
    case End::exited:
      if (ran.status == 0) return ok_status();
      return failure(ErrorCode::internal,
                     "command exited with status " + std::to_string(ran.status),
                     ran.err_tail);
  }
  return ok_status();
}

}  // namespace

Result<Context> ExecEngine::generate(const Job& job,
                                     const Interrupt& interrupt) {
  // The command gets the bytes the worker read under the confinement
  // rules, and the hash the worker computed; it never reads file_path by
  // our leave, and it cannot choose the context's hash.
  auto bytes = job_bytes(job, files_, interrupt);
  if (!bytes) return bytes.error();
  if (bytes->over_limit) {
    return make_error(ErrorCode::too_large,
                      "over " + std::to_string(files_.bytes_max) +
                          " bytes (slurp-worker --content-bytes-max)",
                      "file_path");
  }
  Job given = job;
  given.content_hash.reset();
  if (bytes->present) {
    if (!job.content) {
      const std::string_view read = bytes->content();
      given.content = Bytes(read.begin(), read.end());
    }
    given.content_hash = bytes->hash;
  }
  const std::string input = job_to_json(given);
  ShellCommand command;
  command.command = options_.command;
  command.environment = {"SLURP_JOB_ID=" + std::to_string(job.job_id),
                         "SLURP_ATTEMPT=" + std::to_string(job.attempt),
                         "SLURP_ADDRESS=" + job.address};
  command.input = input;
  command.timeout_ms = options_.timeout_ms;
  command.stdout_bytes_max = options_.output_bytes_max;
  command.stderr_bytes_max = limits::exec_stderr_bytes_max;
  command.interrupt = interrupt;
  auto ran = run_shell_command(command);
  if (!ran) return ran.error();
  if (Status s = check_ended_well(*ran, options_); !s) return s.error();
  auto context = context_from_json(ran->out, given);
  if (!context) {
    // The reason names the field at fault, so one line says it all.
    const Error& e = context.error();
    return failure(e.code,
                   "stdout is not a context: " +
                       (e.field.empty() ? "" : e.field + ": ") + e.reason,
                   ran->err_tail);
  }
  context->content_hash = bytes->hash;
  context->engine = name();
  context->engine_version = version();
  context->generated_at_ms = wall_now_ms();
  return context;
}

}  // namespace slurp::worker
