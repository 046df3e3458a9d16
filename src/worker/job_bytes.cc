#include "src/worker/job_bytes.h"

#include "src/worker/content_hash.h"

namespace slurp::worker {

Result<JobBytes> job_bytes(const Job& job, const ConfinedReadOptions& options,
                           const Interrupt& interrupt) {
  JobBytes out;
  if (job.content) {
    out.present = true;
    out.inline_ = &*job.content;
  } else if (job.file_path) {
    auto read = read_confined(options, *job.file_path, interrupt);
    if (!read) return read.error();
    out.present = true;
    out.size = read->size;
    if (read->over_limit) {
      out.over_limit = true;
      return out;
    }
    out.read_ = std::move(read->bytes);
  } else {
    return out;
  }
  out.size = out.content().size();
  out.hash = content_hash(out.content());
  return out;
}

}  // namespace slurp::worker
