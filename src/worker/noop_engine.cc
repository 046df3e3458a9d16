#include "src/worker/noop_engine.h"

#include <chrono>

#include "src/worker/content_hash.h"

namespace slurp::worker {

Result<Context> NoopEngine::generate(const Job& job) {
  Context context;
  context.address = job.address;
  if (job.content_hash) {
    context.content_hash = *job.content_hash;
  } else if (job.content) {
    context.content_hash = content_hash(*job.content);
  }
  if (job.content) context.metrics.bytes = job.content->size();
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
