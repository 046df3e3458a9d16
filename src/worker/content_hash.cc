#include "src/worker/content_hash.h"

#include <openssl/evp.h>

#include <array>
#include <cstdlib>

// SHA-256 from OpenSSL's libcrypto rather than libsodium: OpenSSL uses the
// CPU's SHA extensions where there are some, about 4x faster here, and
// hashing every file was a fifth of the built-in engine's time on a tree
// of headers (slurp-bench --phases engine).
namespace slurp::worker {
namespace {

using Digest = std::array<unsigned char, 32>;

std::string hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  return out;
}

}  // namespace

std::string content_hash(std::span<const std::uint8_t> content) {
  Digest digest{};
  unsigned int length = 0;
  // Fails only when libcrypto cannot allocate; a wrong hash would be worse
  // than stopping.
  if (EVP_Digest(content.data(), content.size(), digest.data(), &length,
                 EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    std::abort();
  }
  return hex(digest);
}

std::string content_hash(std::string_view content) {
  return content_hash(std::span(
      reinterpret_cast<const std::uint8_t*>(content.data()), content.size()));
}

}  // namespace slurp::worker
