#include "protocol/error_code.h"

namespace slurp {

std::string_view error_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request: return "bad_request";
    case ErrorCode::unauthenticated: return "unauthenticated";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::not_leader: return "not_leader";
    case ErrorCode::no_quorum: return "no_quorum";
    case ErrorCode::queue_full: return "queue_full";
    case ErrorCode::too_large: return "too_large";
    case ErrorCode::unsupported_version: return "unsupported_version";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::internal: return "internal";
    case ErrorCode::unavailable: return "unavailable";
  }
  return "internal";
}

std::optional<ErrorCode> error_code_from_number(std::uint64_t number) {
  for (ErrorCode code : kAllErrorCodes) {
    if (static_cast<std::uint64_t>(code) == number) return code;
  }
  return std::nullopt;
}

std::optional<ErrorCode> error_code_from_name(std::string_view name) {
  for (ErrorCode code : kAllErrorCodes) {
    if (error_name(code) == name) return code;
  }
  return std::nullopt;
}

}  // namespace slurp
