#include "src/worker/content_hash.h"

#include <openssl/evp.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <vector>

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

struct CtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

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

std::optional<FileDigest> file_content_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return std::nullopt;
  }
  std::vector<char> buffer(1 << 16);
  FileDigest out;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (EVP_DigestUpdate(ctx.get(), buffer.data(), n) != 1) return std::nullopt;
    out.bytes += n;
  }
  if (in.bad()) return std::nullopt;
  Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1 ||
      length != digest.size()) {
    return std::nullopt;
  }
  out.hash = hex(digest);
  return out;
}

}  // namespace slurp::worker
