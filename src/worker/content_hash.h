// Hex SHA-256 of content: the content_hash of jobs and contexts, and the
// cache key's half that says "same bytes". OpenSSL's libcrypto; any
// thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace slurp::worker {

std::string content_hash(std::span<const std::uint8_t> content);

// A file hashed as it streams past (for files too big to hold), with its
// size; nullopt when it cannot be read.
struct FileDigest {
  std::string hash;
  std::uint64_t bytes = 0;
};
std::optional<FileDigest> file_content_hash(const std::string& path);

}  // namespace slurp::worker
