// Hex SHA-256 of content: the content_hash of jobs and contexts, and the
// cache key's half that says "same bytes". libsodium; any thread (after
// sodium_init, which content_hash calls once).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace slurp::worker {

std::string content_hash(std::span<const std::uint8_t> content);

}  // namespace slurp::worker
