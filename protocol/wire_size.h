// Upper bounds on how many bytes a record takes in an encoded message, for
// splitting batches under limits::message_bytes_max without encoding
// twice (dispatch and results run for every job). Generous by design: an
// estimate may be too big, never too small. Pure; any thread.
#pragma once

#include <cstddef>

#include "protocol/limits.h"
#include "protocol/messages.h"

namespace slurp {

std::size_t wire_bytes_estimate(const Context& context);
// An upper bound on the msgpack objects (keys, values, containers) of the
// encoded context, as the decoder's msgpack_objects_max counts them.
std::size_t wire_objects_estimate(const Context& context);
std::size_t wire_bytes_estimate(const Job& job);
std::size_t wire_bytes_estimate(const JobResult& result);

// What a batch of records may take: the limit less room for the envelope.
inline constexpr std::size_t kBatchPayloadBytesMax =
    limits::message_bytes_max - 64 * 1024;

}  // namespace slurp
