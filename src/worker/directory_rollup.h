// A directory's context, rolled up from its children's (the job's
// `dependencies`, which the leader attaches once they are done): language
// shares summed down the tree, sizes summed, the technologies most
// children use, the entry points, and what a README says the directory is
// for, or else what its own files say they are for (the file named after
// the directory first, then headers, then the largest files). Children
// without a context (failed_dependencies) are counted and named in the
// summary. Pure; any thread.
#pragma once

#include "protocol/messages.h"

namespace slurp::worker {

inline constexpr std::size_t kRollupTechnologiesMax = 8;
inline constexpr std::size_t kRollupEntryPointsMax = 5;
inline constexpr std::size_t kRollupLanguagesInSummaryMax = 4;
// Children's own descriptions quoted in a directory's summary.
inline constexpr std::size_t kRollupDescriptionsMax = 3;
// A file context at or above this confidence has a summary that says what
// the file does in its words (its doc comment or its main type's), not a
// count of what it holds.
inline constexpr double kDescribedConfidence = 0.55;

// Fills the roll-up fields of `context` (address, engine and hash are the
// caller's).
void roll_up_directory(const Job& job, Context& context);

}  // namespace slurp::worker
