// What the leader checks of a client's `generate` before proposing it,
// beyond what the decoder checks (types, msgpack limits) and what the
// state machine decides (dedup, cache, attach, admission, ownership).
// Addresses are canonicalized by the caller. PROTOCOL.md "generate" and
// "Security" state these rules for clients.
//
// Pure functions over the request; the node thread calls them.
#pragma once

#include "protocol/messages.h"
#include "protocol/result.h"
#include "src/state/commands.h"

namespace slurp::node {

// request_id within 1..request_id_bytes_max, content within
// content_bytes_max, depends_on within depends_on_max, content_hash (when
// given) a hex SHA-256.
Status check_generate(const Generate& request);

// Sets command.content_hash and content_hash_verified. With inline
// content the hash is the leader's own SHA-256 of it, and a claimed hash
// that differs is refused (bad_request, field content_hash): a hash the
// cluster did not compute is never trusted for the cache or for attaching.
// Without content the claimed hash is kept, unverified.
Status set_content_hash(const Generate& request,
                        state::EnqueueCommand& command);

}  // namespace slurp::node
