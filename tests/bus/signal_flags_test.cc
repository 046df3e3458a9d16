#include "bus/signal_flags.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

namespace slurp::bus {
namespace {

// The signal thread sets the flags soon after kill() returns, not during it.
template <class Predicate>
bool within_a_second(Predicate predicate) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST_CASE("signals: SIGHUP requests one reload, SIGTERM requests a stop",
          "[bus][signals]") {
  REQUIRE(install_signal_handlers().ok());
  REQUIRE(install_signal_handlers().ok());  // once only
  CHECK_FALSE(take_reload_request());
  ::kill(::getpid(), SIGHUP);
  CHECK(within_a_second([] { return take_reload_request(); }));
  CHECK_FALSE(take_reload_request());  // one request per signal burst
  CHECK_FALSE(stop_requested());
  ::kill(::getpid(), SIGTERM);
  CHECK(within_a_second([] { return stop_requested(); }));
  CHECK(stop_requested());     // sticky
  ::kill(::getpid(), SIGINT);  // handled, not fatal
  CHECK(stop_requested());
}

TEST_CASE("signals: this thread has them blocked, so its calls see no EINTR",
          "[bus][signals]") {
  REQUIRE(install_signal_handlers().ok());
  sigset_t mask;
  REQUIRE(::pthread_sigmask(SIG_BLOCK, nullptr, &mask) == 0);
  CHECK(sigismember(&mask, SIGHUP) == 1);
  CHECK(sigismember(&mask, SIGTERM) == 1);
  CHECK(sigismember(&mask, SIGINT) == 1);
  // A thread started now inherits the mask.
  int inherited = 0;
  std::thread([&] {
    sigset_t m;
    ::pthread_sigmask(SIG_BLOCK, nullptr, &m);
    inherited = sigismember(&m, SIGHUP);
  }).join();
  CHECK(inherited == 1);
}

}  // namespace
}  // namespace slurp::bus
