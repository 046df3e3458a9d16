#include "bus/signal_flags.h"

#include <signal.h>

#include <catch2/catch.hpp>

namespace slurp::bus {
namespace {

void restore_default_handlers() {
  for (int number : {SIGHUP, SIGTERM, SIGINT}) ::signal(number, SIG_DFL);
}

TEST_CASE("signals: SIGHUP requests one reload, SIGTERM requests a stop",
          "[bus][signals]") {
  REQUIRE(install_signal_handlers().ok());
  CHECK_FALSE(take_reload_request());
  ::raise(SIGHUP);  // raise() returns after the handler ran
  ::raise(SIGHUP);
  CHECK(take_reload_request());
  CHECK_FALSE(take_reload_request());  // a burst collapses into one reload
  CHECK_FALSE(stop_requested());
  ::raise(SIGTERM);
  CHECK(stop_requested());
  CHECK(stop_requested());  // sticky
  ::raise(SIGINT);          // handled, not fatal
  CHECK(stop_requested());
  restore_default_handlers();
}

}  // namespace
}  // namespace slurp::bus
