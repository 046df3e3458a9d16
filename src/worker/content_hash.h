// Hex SHA-256 of content: the content_hash of jobs and contexts, and the
// cache key's half that says "same bytes". Workers hash the bytes they
// analysed themselves and never copy a requester's claim into a context.
// OpenSSL's libcrypto; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace slurp::worker {

std::string content_hash(std::span<const std::uint8_t> content);
std::string content_hash(std::string_view content);

}  // namespace slurp::worker
