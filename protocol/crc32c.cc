#include "protocol/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define SLURP_CRC32C_SSE42 1
#endif

namespace slurp {
namespace {

constexpr std::uint32_t kPolynomial = 0x82f63b78;  // reversed Castagnoli

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<std::uint32_t, 256> kTable = make_table();

std::uint32_t crc32c_table(std::span<const std::uint8_t> bytes,
                           std::uint32_t crc) {
  for (std::uint8_t b : bytes) crc = kTable[(crc ^ b) & 0xffu] ^ (crc >> 8);
  return crc;
}

#ifdef SLURP_CRC32C_SSE42
// The CPU's CRC32 instruction computes exactly CRC-32C, 8 bytes per step:
// about 20x the table. Snapshots are CRCed whole (tens of MB), and the
// table made that a visible stall of the node's loop (slurp-bench).
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(
    std::span<const std::uint8_t> bytes, std::uint32_t crc) {
  const std::uint8_t* p = bytes.data();
  std::size_t n = bytes.size();
  std::uint64_t c = crc;
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  std::uint32_t c32 = static_cast<std::uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

bool have_sse42() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#endif

}  // namespace

std::uint32_t crc32c(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
  crc = ~crc;
#ifdef SLURP_CRC32C_SSE42
  if (have_sse42()) return ~crc32c_sse42(bytes, crc);
#endif
  return ~crc32c_table(bytes, crc);
}

std::uint32_t crc32c_portable_for_testing(std::span<const std::uint8_t> bytes,
                                          std::uint32_t crc) {
  return ~crc32c_table(bytes, ~crc);
}

}  // namespace slurp
