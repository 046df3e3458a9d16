// The JSON contract of the exec engine (PROTOCOL.md, "Exec engine"): a job
// as the JSON object a command reads on stdin, and the JSON object it
// prints on stdout read back into a Context.
//
// Reading is strict about types and lenient about presence: a field of the
// wrong type is an error naming it ("symbols[2].line: expected an unsigned
// integer, got a string"), a missing field or a null keeps its default,
// and an unknown field is ignored. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "protocol/messages.h"
#include "protocol/result.h"

namespace slurp::worker {

// The job as one JSON object (one line): job_id, attempt, lease_ms,
// address, path (of the address), role, priority, content (UTF-8 text) or
// content_base64 (other bytes), file_path, content_hash, depends_on,
// failed_dependencies and dependencies (contexts as context_to_json
// writes them). Absent optionals are left out.
std::string job_to_json(const Job& job);

// Every field of a context, as the wire names them.
std::string context_to_json(const Context& context);

// What a command printed, as the context of `job`. `address` may be
// omitted; when given it must name the job's address. `version`,
// `engine`, `engine_version` and `generated_at_ms` belong to the cluster
// and the worker and are ignored. Missing `content_hash` and
// `metrics.bytes` come from the job. Errors: bad_request (not JSON, not
// an object, a mistyped field, confidence outside 0..1, another address),
// too_large (a string, list or the whole context over its limit); the
// error's field names the place at fault.
Result<Context> context_from_json(std::string_view text, const Job& job);

}  // namespace slurp::worker
