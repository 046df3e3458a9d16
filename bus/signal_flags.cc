#include "bus/signal_flags.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

namespace slurp::bus {

namespace {

// Lock-free atomics are async-signal-safe; a mutex-backed one would not be.
static_assert(std::atomic<bool>::is_always_lock_free);
std::atomic<bool> reload_requested{false};
std::atomic<bool> stop_flag{false};

constexpr int kSignals[] = {SIGHUP, SIGTERM, SIGINT};

void note(int number) {
  if (number == SIGHUP) {
    reload_requested.store(true, std::memory_order_relaxed);
  } else {
    stop_flag.store(true, std::memory_order_relaxed);
  }
}

extern "C" void on_signal(int number) {
  note(number);
}

Status install(int number) {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (::sigaction(number, &action, nullptr) != 0) {
    return make_error(ErrorCode::internal,
                      std::string("sigaction: ") + std::strerror(errno));
  }
  return ok_status();
}

Status install_once() {
  // The handlers stay as a fallback for a thread started before this call
  // (there should be none): the signal still becomes a flag.
  for (int number : kSignals) {
    Status installed = install(number);
    if (!installed) return installed;
  }
  // Then no thread but our own takes these signals. A signal handled on a
  // thread that is inside libzmq can make even a non-blocking zmq_msg_recv,
  // zmq_send or zmq_getsockopt(ZMQ_EVENTS) fail with EINTR (libzmq polls
  // its command mailbox), which cppzmq throws: a SIGHUP could crash a
  // busy node. Blocked here, they stay blocked in every thread started
  // from here on (threads inherit the mask; libzmq's own threads block all
  // signals anyway), and the thread below takes them with sigwait.
  // Children started with posix_spawn reset the mask (shell_command.cc).
  sigset_t set;
  sigemptyset(&set);
  for (int number : kSignals) sigaddset(&set, number);
  if (int rc = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    return make_error(ErrorCode::internal,
                      std::string("pthread_sigmask: ") + std::strerror(rc));
  }
  std::thread([set] {
    while (true) {
      int number = 0;
      if (::sigwait(&set, &number) == 0) note(number);
    }
  }).detach();
  return ok_status();
}

}  // namespace

Status install_signal_handlers() {
  static std::once_flag once;
  static Status installed = ok_status();
  std::call_once(once, [] { installed = install_once(); });
  return installed;
}

bool take_reload_request() {
  return reload_requested.exchange(false, std::memory_order_relaxed);
}

bool stop_requested() {
  return stop_flag.load(std::memory_order_relaxed);
}

}  // namespace slurp::bus
