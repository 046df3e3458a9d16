// The golden-file format of tests/consensus/testdata (README.md there
// describes it): blocks of one command line, a "----" line and the output
// the command printed, separated by blank lines; lines starting with "#"
// are comments. Running a script replaces every block's output with what
// the command prints now, so comparing the result with the checked-in text
// is the test, and writing it back is rewrite mode.
// Test-only; one thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace slurp::consensus::test {

inline constexpr std::string_view kOutputSeparator = "----";

// Runs one command line and returns what it printed: one or more lines
// without a trailing newline, none of them empty (a blank line ends a
// block). Throws std::runtime_error on a malformed command (a bug in the
// script, not in Raft).
using CommandRunner = std::function<std::string(const std::string& command)>;

// Runs every command of `script` in order and returns the script with each
// block's output replaced by the runner's. Comments and blank lines are
// kept as they are; a command without "----" (one just written by hand)
// gets one. Errors name the script line.
std::string run_script(std::string_view script, const CommandRunner& runner);

// A unified-style line diff (3 lines of context) from `expected` to
// `actual`, headed by `name` and the first line that differs; "" when the
// texts are equal.
std::string line_diff(std::string_view expected, std::string_view actual,
                      const std::string& name);

}  // namespace slurp::consensus::test
