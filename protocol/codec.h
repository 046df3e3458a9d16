// The codec for payload frames: Message <-> msgpack bytes.
//
// decode() is the only way untrusted bytes become a Message. It never throws
// and never allocates by a length it has not checked: scan_msgpack bounds the
// input first, then msgpack-cxx builds the tree with the same limits, then
// the field visitors validate types and required fields. Pure; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "protocol/messages.h"
#include "protocol/msgpack_scan.h"
#include "protocol/result.h"

namespace slurp {

// The payload frame for `message`: a msgpack map {v, type, fields...}.
std::string encode(const Message& message);

// A Message, or a typed error (bad_request, too_large, unsupported_version)
// whose `field` names the offending field path.
Result<Message> decode(std::span<const std::uint8_t> bytes,
                       const MsgpackLimits& limits = {});
Result<Message> decode(std::string_view bytes,
                       const MsgpackLimits& limits = {});

// The request's `id` when the bytes are a map with an unsigned `id`, else 0.
// Lets a server address an error reply to a request it could not decode.
std::uint64_t peek_request_id(std::string_view bytes);

// Converts between an operating error and its wire form.
ErrorReply to_error_reply(std::uint64_t id, const Error& error);
Error from_error_reply(const ErrorReply& reply);

}  // namespace slurp
