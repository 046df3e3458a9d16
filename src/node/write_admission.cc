#include "src/node/write_admission.h"

#include <string>

#include "protocol/field_rules.h"
#include "protocol/limits.h"
#include "src/worker/content_hash.h"

namespace slurp::node {

Status check_generate(const Generate& request) {
  if (request.request_id.empty() ||
      request.request_id.size() > limits::request_id_bytes_max) {
    return make_error(ErrorCode::bad_request,
                      "request_id must be 1.." +
                          std::to_string(limits::request_id_bytes_max) +
                          " bytes; it is " +
                          std::to_string(request.request_id.size()),
                      "request_id");
  }
  if (request.content && request.content->size() > limits::content_bytes_max) {
    return make_error(ErrorCode::too_large,
                      "content is " + std::to_string(request.content->size()) +
                          " bytes; the limit is " +
                          std::to_string(limits::content_bytes_max),
                      "content");
  }
  if (request.depends_on.size() > limits::depends_on_max) {
    return make_error(
        ErrorCode::too_large,
        "more than " + std::to_string(limits::depends_on_max) + " dependencies",
        "depends_on");
  }
  if (request.content_hash) {
    return check_content_hash(*request.content_hash, "content_hash");
  }
  return ok_status();
}

Status set_content_hash(const Generate& request,
                        state::EnqueueCommand& command) {
  if (!request.content) {
    // Only a claim. Never trusted for the cache: the worker hashes what it
    // reads and the stored context keys on that. Attaching is limited to
    // jobs whose bytes the claim cannot misdescribe (StateMachine, rule 3).
    command.content_hash = request.content_hash;
    command.content_hash_verified = false;
    return ok_status();
  }
  // On the node thread: at most content_bytes_max (3 MiB) per request,
  // about 6 ms at that size on the 2-core test machine (libcrypto, SHA
  // extensions), bounded like decoding the request and cheaper than
  // replicating its bytes; the per-connection intake bounds how many wait.
  // Hashing here once spares the worker from hashing again (the job
  // carries the verified hash).
  std::string computed = worker::content_hash(*request.content);
  if (request.content_hash && *request.content_hash != computed) {
    return make_error(ErrorCode::bad_request,
                      "content_hash does not match content (the SHA-256 of "
                      "the content sent is " +
                          computed + ")",
                      "content_hash");
  }
  command.content_hash = std::move(computed);
  command.content_hash_verified = true;
  return ok_status();
}

}  // namespace slurp::node
