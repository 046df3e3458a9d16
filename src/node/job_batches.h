// Splitting leased jobs into `jobs` messages that a worker will accept:
// each encoded batch stays under limits::message_bytes_max (sizes from
// protocol/wire_size.h). Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "protocol/messages.h"

namespace slurp::node {

// Batches in the given order, none over the limit. A job that is too big
// alone even without its dependencies' contexts loses them (its roll-up is
// poorer, it still runs); that takes 1,024 long dependencies next to
// nearly 3 MiB of content.
std::vector<JobBatch> split_job_batches(std::vector<Job> jobs,
                                        std::uint64_t term,
                                        const std::string& leader);

}  // namespace slurp::node
