// A plain HTTP GET for the metrics listeners' /healthz and /readyz
// (slurpctl health): civetweb's client, with a deadline on the answer.
// Thread-safety: any thread; each call has its own connection.
#pragma once

#include <chrono>
#include <string>

#include "protocol/result.h"

namespace slurp::client {

struct HttpAnswer {
  int status = 0;    // 200, 503, ...
  std::string body;  // at most http_body_bytes_max
};

inline constexpr std::size_t http_body_bytes_max = 64 * 1024;

// GET http://`address``path`, address "HOST:PORT" or "[V6]:PORT". Errors:
// unavailable (cannot connect; no answer within `timeout`), bad_request
// (address malformed).
Result<HttpAnswer> http_get(const std::string& address, const std::string& path,
                            std::chrono::milliseconds timeout);

}  // namespace slurp::client
