#include "src/node/turn_phases.h"

#include <catch2/catch.hpp>

namespace slurp::node {
namespace {

TEST_CASE("a slow turn's line names the phases that took time",
          "[turn_phases]") {
  TurnPhases phases;
  phases.add(TurnPhase::persist, 40000);
  phases.add(TurnPhase::apply, 1500);
  phases.add(TurnPhase::apply, 500);
  CHECK(phases.us(TurnPhase::apply) == 2000);
  CHECK(phases.describe(45000) ==
        "persist 40.0 ms, apply 2.0 ms, other 3.0 ms");
  // A turn no phase accounts for is all "other"; phases that took no
  // time are left out.
  phases.clear();
  CHECK(phases.describe(60000) == "other 60.0 ms");
  phases.add(TurnPhase::trim, 60000);
  CHECK(phases.describe(60000) == "trim 60.0 ms");
}

}  // namespace
}  // namespace slurp::node
