// Log lines that input cannot forge: every message is passed through
// printable_prefix (protocol/printable.h) before the pattern is applied,
// so a request `type` holding "\n... ZAP accepted ..." or a terminal
// escape sequence shows up as `\n` and `\x1b` on one line, and a 1 MiB
// field costs at most limits::log_message_bytes_max.
//
// Threads: install once at start, before other threads log.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace slurp::bus {

// Sets `pattern` (spdlog syntax) on `logger` with the message escaped.
void use_escaped_log_format(spdlog::logger& logger, const std::string& pattern);

}  // namespace slurp::bus
