#include "src/worker/context_symbols.h"

#include <set>
#include <string>
#include <utility>

#include "src/engine/export_macros.h"
#include "src/worker/utf8.h"

namespace slurp::worker {
namespace {

// Names come from the engine bounded already; this only repairs bytes.
constexpr std::size_t kTextBytesMax = 512;

bool is_noise(const engine::ExtractedSymbol& s, const std::string& guard) {
  if (s.kind != "macro") return false;
  return s.name == guard || engine::is_attribute_macro_name(s.name);
}

// `_private` in Python, JavaScript and C alike.
bool is_public(const std::string& name) {
  return !name.empty() && name.front() != '_';
}

std::optional<std::string> text(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return printable_utf8(s, kTextBytesMax);
}

}  // namespace

std::vector<Symbol> context_symbols(const engine::Extraction& found) {
  std::vector<Symbol> out;
  std::set<std::pair<std::string, std::string>> seen;  // name, kind
  for (const engine::ExtractedSymbol& s : found.symbols) {
    if (is_noise(s, found.include_guard)) continue;
    if (!seen.emplace(s.name, s.kind).second) continue;
    Symbol symbol{printable_utf8(s.name, kTextBytesMax), s.kind, s.line,
                  text(s.signature), std::nullopt};
    if (is_public(s.name)) symbol.doc = text(s.doc);
    out.push_back(std::move(symbol));
  }
  return out;
}

}  // namespace slurp::worker
