// The symbols a file's context lists, from what the engine extracted: one
// per name and kind (the first: a prototype and its definition, or the
// branches of an #ifdef, say one thing), without the include guard or the
// export and attribute macros every declaration of a header repeats
// (`ZMQ_EXPORT`), with a doc comment for public symbols only, and every
// string valid UTF-8. Pure; any thread.
#pragma once

#include <vector>

#include "protocol/messages.h"
#include "src/engine/symbols.h"

namespace slurp::worker {

std::vector<Symbol> context_symbols(const engine::Extraction& found);

}  // namespace slurp::worker
