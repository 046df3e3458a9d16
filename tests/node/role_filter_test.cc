#include "src/context/role_filter.h"

#include <catch2/catch.hpp>

namespace slurp::context {
namespace {

Context full() {
  Context c;
  c.address = "ucxl://p/a.c";
  c.language = "c";
  c.summary = "does things";
  c.symbols = {Symbol{"main", "function", 3}};
  c.imports = {"stdio.h"};
  c.todos = {"free the buffer"};
  c.metrics.lines_code = 10;
  return c;
}

TEST_CASE("observers see no symbols, todos or imports", "[roles]") {
  Context seen = filter_for_role(full(), Role::observer);
  CHECK(seen.symbols.empty());
  CHECK(seen.todos.empty());
  CHECK(seen.imports.empty());
  CHECK(seen.summary == "does things");  // what it is stays visible
  CHECK(seen.language == "c");
  CHECK(seen.metrics.lines_code == 10);
}

TEST_CASE("every other role sees the whole context", "[roles]") {
  for (Role role : {Role::developer, Role::worker, Role::node, Role::admin}) {
    CHECK(filter_for_role(full(), role) == full());
  }
}

}  // namespace
}  // namespace slurp::context
