#include "src/worker/content_hash.h"

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <vector>

namespace slurp::worker {

namespace {

void init_sodium_once() {
  static std::once_flag init;
  std::call_once(init, [] {
    // -1 means libsodium cannot run at all; hashing would be wrong.
    if (sodium_init() < 0) std::abort();
  });
}

std::string hex(
    const std::array<unsigned char, crypto_hash_sha256_BYTES>& digest) {
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
  init_sodium_once();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), content.data(), content.size());
  return hex(digest);
}

std::optional<FileDigest> file_content_hash(const std::string& path) {
  init_sodium_once();
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buffer(1 << 16);
  FileDigest out;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    crypto_hash_sha256_update(
        &state, reinterpret_cast<const unsigned char*>(buffer.data()), n);
    out.bytes += n;
  }
  if (in.bad()) return std::nullopt;
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256_final(&state, digest.data());
  out.hash = hex(digest);
  return out;
}

}  // namespace slurp::worker
