#include "bus/signal_flags.h"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

namespace slurp::bus {

namespace {

// Lock-free atomics are async-signal-safe; a mutex-backed one would not be.
static_assert(std::atomic<bool>::is_always_lock_free);
std::atomic<bool> reload_requested{false};
std::atomic<bool> stop_flag{false};

extern "C" void on_signal(int number) {
  if (number == SIGHUP) {
    reload_requested.store(true, std::memory_order_relaxed);
  } else {
    stop_flag.store(true, std::memory_order_relaxed);
  }
}

Status install(int number) {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART keeps plain read/write going; zmq_poll still returns EINTR,
  // which bus/poll.h treats as a wake-up.
  action.sa_flags = SA_RESTART;
  if (::sigaction(number, &action, nullptr) != 0) {
    return make_error(ErrorCode::internal,
                      std::string("sigaction: ") + std::strerror(errno));
  }
  return ok_status();
}

}  // namespace

Status install_signal_handlers() {
  for (int number : {SIGHUP, SIGTERM, SIGINT}) {
    Status installed = install(number);
    if (!installed) return installed;
  }
  return ok_status();
}

bool take_reload_request() {
  return reload_requested.exchange(false, std::memory_order_relaxed);
}

bool stop_requested() {
  return stop_flag.load(std::memory_order_relaxed);
}

}  // namespace slurp::bus
