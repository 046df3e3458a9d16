#include "src/node/job_batches.h"

#include <spdlog/spdlog.h>

#include "protocol/wire_size.h"

namespace slurp::node {
std::vector<JobBatch> split_job_batches(std::vector<Job> jobs,
                                        std::uint64_t term,
                                        const std::string& leader) {
  std::vector<JobBatch> batches;
  std::size_t batch_bytes = 0;
  for (Job& job : jobs) {
    std::size_t bytes = wire_bytes_estimate(job);
    if (bytes > kBatchPayloadBytesMax && !job.dependencies.empty()) {
      spdlog::warn(
          "job {}: {} bytes with its dependencies' contexts; sent "
          "without them",
          job.job_id, bytes);
      job.dependencies.clear();
      bytes = wire_bytes_estimate(job);
    }
    if (batches.empty() || batch_bytes + bytes > kBatchPayloadBytesMax) {
      batches.push_back(JobBatch{term, leader, {}});
      batch_bytes = 0;
    }
    batches.back().jobs.push_back(std::move(job));
    batch_bytes += bytes;
  }
  return batches;
}

}  // namespace slurp::node
