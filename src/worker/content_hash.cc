#include "src/worker/content_hash.h"

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <mutex>

namespace slurp::worker {

std::string content_hash(std::span<const std::uint8_t> content) {
  static std::once_flag init;
  std::call_once(init, [] {
    // -1 means libsodium cannot run at all; hashing would be wrong.
    if (sodium_init() < 0) std::abort();
  });
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), content.data(), content.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  return out;
}

}  // namespace slurp::worker
