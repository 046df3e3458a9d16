#include "src/worker/noop_engine.h"

#include <chrono>

#include "src/worker/content_hash.h"

namespace slurp::worker {

Result<Context> NoopEngine::generate(const Job& job, const Interrupt&) {
  Context context;
  context.address = job.address;
  // Hashed here, never copied from the job (a requester's claim). A
  // file_path is not read: its context has no hash.
  if (job.content) {
    context.content_hash = content_hash(*job.content);
    context.metrics.bytes = job.content->size();
  }
  context.summary = "not analysed (noop engine)";
  context.engine = name();
  context.engine_version = version();
  context.generated_at_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  return context;
}

}  // namespace slurp::worker
