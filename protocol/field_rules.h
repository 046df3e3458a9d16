// Value rules the decoder's types cannot express: the form of a content
// hash, the range of a confidence, and the lengths of the text fields of a
// context a client writes by hand (update_context). The decoder checks
// types and the msgpack limits; these check meaning, so the node can
// refuse a request with a reason naming the field before anything of it
// is stored, replicated or echoed. Limits: protocol/limits.h; PROTOCOL.md
// quotes them. Reasons never quote the offending value.
//
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "protocol/messages.h"
#include "protocol/result.h"

namespace slurp {

// Exactly limits::content_hash_hex_chars lowercase hex digits: the hex
// SHA-256 every content_hash on the wire is.
bool is_content_hash(std::string_view text);
// bad_request naming `field` unless is_content_hash(text).
Status check_content_hash(std::string_view text, const std::string& field);

// A finite number in [0, 1]; bad_request naming `field` otherwise.
Status check_confidence(double confidence, const std::string& field);

// What a worker's result must satisfy before it is stored: content_hash
// empty or a hash, confidence in [0, 1]. Field paths start with `prefix`
// ("context." for context.confidence).
Status check_result_context(const Context& context, const std::string& prefix);

// What a client-written context must satisfy: check_result_context, and
// every text field within its limit (too_large naming the field).
Status check_client_context(const Context& context, const std::string& prefix);

}  // namespace slurp
