// What a job sees of the contexts it depends on: enough to roll a
// directory up (language shares, sizes, technologies, tags, a short
// summary), not the insides. Trimming keeps a job with 1,024 children far
// under the 4 MiB message limit. The leader applies it when it dispatches;
// pure, any thread.
#pragma once

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

}  // namespace slurp::context
