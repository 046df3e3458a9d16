// How Catch prints an ExtractedSymbol in a failed check: "name kind line".
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "src/engine/symbols.h"

namespace Catch {
template <>
struct StringMaker<slurp::engine::ExtractedSymbol> {
  static std::string convert(const slurp::engine::ExtractedSymbol& s) {
    return s.name + " " + s.kind + " " + std::to_string(s.line);
  }
};
}  // namespace Catch
