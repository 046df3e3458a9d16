// A Context as people and scripts read it: one JSON object with the wire
// field names (for --json and export jsonl/json), a readable block for a
// terminal, and a Markdown section (export markdown). Pure; any thread.
#pragma once

#include <string>

#include "protocol/messages.h"
#include "src/client/json_writer.h"

namespace slurp::client {

void write_context_json(JsonWriter& w, const Context& context);
std::string context_json(const Context& context);
std::string context_text(const Context& context);
std::string context_markdown(const Context& context);

}  // namespace slurp::client
