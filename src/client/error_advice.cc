#include "src/client/error_advice.h"

namespace slurp::client {

std::string_view error_advice(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
      return "the request is malformed: check the field named above (an "
             "address must look like ucxl://project/path)";
    case ErrorCode::unauthenticated:
      return "the node did not accept our key: add our public key to its "
             "authorized-keys file (then SIGHUP the node), or check --key "
             "and the node's public key in the config";
    case ErrorCode::forbidden:
      return "this key's role may not do that: use a key with role developer "
             "or admin (`slurpctl keygen`, then authorize it)";
    case ErrorCode::not_found:
      return "nothing by that name: check the address or job id (`slurpctl "
             "export --format jsonl PREFIX` lists stored contexts)";
    case ErrorCode::conflict:
      return "the job's state does not allow it (it may have ended "
             "already): see `slurpctl watch JOB`";
    case ErrorCode::not_leader:
      return "ask the leader it names, or give --config so slurpctl finds "
             "the leader itself";
    case ErrorCode::no_quorum:
      return "no leader right now (an election, or a majority of nodes "
             "down): retry in a few seconds; `slurpctl status --stale` shows "
             "what each node sees";
    case ErrorCode::queue_full:
      return "the queue is at its limit: retry later, or raise queue_depth_max "
             "in the cluster's limits";
    case ErrorCode::too_large:
      return "over a size limit (3 MiB of content, 4 MiB per message): "
             "split the request, or let workers read big files by path";
    case ErrorCode::unsupported_version:
      return "the node speaks another protocol version: use a slurpctl that "
             "matches the cluster";
    case ErrorCode::timeout:
      return "no answer in time: check that the node runs, that the endpoint "
             "is right and that our public key is in its authorized-keys "
             "file; --timeout-ms waits longer";
    case ErrorCode::internal:
      return "the node failed (a bug or a disk error): see its log; the "
             "request can be retried";
    case ErrorCode::unavailable:
      return "this node does not serve that now (starting, stopping, or the "
             "outcome is in doubt): retry, or ask another node";
  }
  return "unknown error code: see protocol/PROTOCOL.md, \"Errors\"";
}

}  // namespace slurp::client
