// CRC-32C (Castagnoli), as carried in SnapshotChunk.chunk_crc32c and used
// for log records on disk. Software table implementation: slow next to
// SSE4.2 but portable and fast enough for chunks and records.
// Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace slurp {

// crc32c of `bytes`, continuing from `crc` (0 to start).
// Uses the CPU's CRC32 instruction when it has one (x86-64 SSE4.2).
std::uint32_t crc32c(std::span<const std::uint8_t> bytes,
                     std::uint32_t crc = 0);

// The table-driven form, always; tests compare the two.
std::uint32_t crc32c_portable_for_testing(std::span<const std::uint8_t> bytes,
                                          std::uint32_t crc = 0);

}  // namespace slurp
