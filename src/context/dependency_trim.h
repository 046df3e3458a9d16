// What a job sees of the contexts it depends on: enough to roll a
// directory up (language shares, sizes, technologies, tags, a short
// summary), not the insides. Trimming keeps a job with 1,024 children far
// under the 4 MiB message limit. The leader applies it when it dispatches,
// on a reader thread of its own (node/context_reads.h): reading hundreds
// of children from contexts.db on the node thread held a leader's turn
// for up to 490 ms. Pure, any thread.
#pragma once

#include <optional>
#include <string>

#include "protocol/messages.h"

namespace slurp::context {

inline constexpr std::size_t kDependencySummaryBytesMax = 256;

inline Context trim_for_dependant(Context context) {
  context.symbols.clear();
  context.imports.clear();
  context.todos.clear();
  if (context.summary.size() > kDependencySummaryBytesMax) {
    std::size_t cut = kDependencySummaryBytesMax;
    // Never split a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 &&
           (static_cast<unsigned char>(context.summary[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    context.summary.resize(cut);
  }
  return context;
}

// Gives `job` the trimmed current context of each address it depends on
// that has one; `find(address)` returns std::optional<Context>. Dependencies
// that ended without a context are in job.failed_dependencies already.
template <class Find>
void fill_dependencies(Job& job, Find&& find) {
  job.dependencies.clear();
  for (const std::string& address : job.depends_on) {
    if (std::optional<Context> done = find(address)) {
      job.dependencies.push_back(trim_for_dependant(std::move(*done)));
    }
  }
}

}  // namespace slurp::context
