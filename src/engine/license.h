// The SPDX id of the license a file declares, when it declares one: an
// `SPDX-License-Identifier:` line, or the opening words of a well-known
// license text or header (Apache-2.0, MIT, BSD, GPL/LGPL, MPL-2.0,
// BSL-1.0, ISC, Unlicense). Only the first license_scan_bytes_max bytes are
// read: a header lives at the top. Pure; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace slurp::engine {

inline constexpr std::size_t license_scan_bytes_max = 16 * 1024;
inline constexpr std::size_t license_id_bytes_max = 128;
// Headers are matched in a window around the first word that hints at a
// license ("license", "permission", "redistribution", "public domain").
// Every phrase holds such a word, so the window starts at most a phrase's
// length (wrapped in comment leaders) before it; the phrases that tell
// variants apart ("version 3", "neither the name") follow within 1 KiB in
// the texts people use. Over /usr/include, CPython's and Go's trees and
// CMake's modules these sizes give the same answer as 1 KiB / 6 KiB on
// every file but one (valgrind.h, whose BSD text names the GPL first).
inline constexpr std::size_t license_window_before_bytes = 256;
inline constexpr std::size_t license_window_bytes = 2 * 1024;

std::optional<std::string> detect_license(std::string_view content);

}  // namespace slurp::engine
