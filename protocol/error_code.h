// Wire error codes. The numbers are stable forever: clients switch on them.
// A new code gets the next free number; a retired one is never reused.
// PROTOCOL.md ("Error codes") lists the same table.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace slurp {

enum class ErrorCode : std::uint16_t {
  bad_request = 1,           // malformed frame, bad field, unknown type
  unauthenticated = 2,       // no authenticated identity on the connection
  forbidden = 3,             // the key's role may not make this request
  not_found = 4,             // unknown job, context or address
  conflict = 5,              // state does not allow it (e.g. cancel a done job)
  not_leader = 6,            // ask the leader; reply names it when known
  no_quorum = 7,             // no leader / majority within the deadline
  queue_full = 8,            // admission refused; retry later
  too_large = 9,             // a frame, field or batch over its limit
  unsupported_version = 10,  // `v` not spoken by this node
  timeout = 11,              // deadline passed before an answer
  internal = 12,             // a bug or an I/O failure on the node
  unavailable = 13,          // node not serving this request (yet / any more)
};

inline constexpr ErrorCode kAllErrorCodes[] = {
    ErrorCode::bad_request, ErrorCode::unauthenticated,
    ErrorCode::forbidden,   ErrorCode::not_found,
    ErrorCode::conflict,    ErrorCode::not_leader,
    ErrorCode::no_quorum,   ErrorCode::queue_full,
    ErrorCode::too_large,   ErrorCode::unsupported_version,
    ErrorCode::timeout,     ErrorCode::internal,
    ErrorCode::unavailable,
};

// Stable lower_snake_case name, e.g. "not_leader".
std::string_view error_name(ErrorCode code);
std::optional<ErrorCode> error_code_from_number(std::uint64_t number);
std::optional<ErrorCode> error_code_from_name(std::string_view name);

}  // namespace slurp
