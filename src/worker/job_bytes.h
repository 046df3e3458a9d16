// The bytes a job asks an engine to analyse, and their hash: the job's
// inline content, or its file_path read under the confinement rules
// (confined_file.h). Engines put `hash` into the context, never the
// requester's content_hash: a hash the cluster did not compute must not
// reach the cache (PROTOCOL.md, "file_path confinement").
//
// Plain data and a free function; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/messages.h"
#include "protocol/result.h"
#include "src/worker/confined_file.h"
#include "src/worker/interrupt.h"

namespace slurp::worker {

struct JobBytes {
  // Neither content nor file_path: a directory (or an address whose bytes
  // the requester did not send).
  bool present = false;
  // A file_path bigger than the limit: not read, not hashed.
  bool over_limit = false;
  std::uint64_t size = 0;  // bytes; fstat's size when over_limit
  // Hex SHA-256 of content(); "" when there are no bytes or over_limit.
  std::string hash;

  std::string_view content() const {
    return inline_ != nullptr
               ? std::string_view(
                     reinterpret_cast<const char*>(inline_->data()),
                     inline_->size())
               : std::string_view(read_);
  }

 private:
  friend Result<JobBytes> job_bytes(const Job&, const ConfinedReadOptions&,
                                    const Interrupt&);
  const Bytes* inline_ = nullptr;  // the job's content (the job outlives us)
  std::string read_;               // what was read from file_path
};

// Inline content wins when a job has both. Errors: read_confined's.
Result<JobBytes> job_bytes(const Job& job, const ConfinedReadOptions& options,
                           const Interrupt& interrupt);

}  // namespace slurp::worker
