// The contexts slurp-bench's store phase writes: shaped like what the
// built-in engine makes of a source file of a few hundred lines (20
// symbols, 8 imports, a summary of a paragraph, a purpose, tags,
// technologies, two todos, metrics), about 2 KB once encoded, and a
// function of the index alone, so a run can read back any context it
// stored and two runs store the same bytes.
//
// Free functions; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/messages.h"

namespace slurp::bench {

// Everything the store phase writes lives under this prefix (a directory
// prefix for `list`, as `slurpctl export` pages through one).
inline constexpr std::string_view kSyntheticPrefix = "ucxl://bench-store/";

// ucxl://bench-store/dNNNN/fNNNNNNN.go: a thousand files per directory.
std::string synthetic_address(std::uint64_t index);

Context synthetic_context(std::uint64_t index);

}  // namespace slurp::bench
