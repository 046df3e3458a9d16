// Process signals become flags. One thread of our own takes SIGHUP, SIGTERM
// and SIGINT (sigwait) and only stores to lock-free atomics; every other
// thread has them blocked, so no zmq call anywhere fails with EINTR. The
// daemon loop, which polls with timeouts of at most 100 ms, reads the flags
// and does the real work (reload authorized keys, leave the cluster
// gracefully) on its own thread.
//
// install_signal_handlers(): call from the main thread before other threads
// start (they inherit the blocked mask); later calls do nothing. Send the
// signals to the process (kill), not to one thread (raise, pthread_kill):
// a thread-directed signal stays pending on the thread that blocks it. The
// readers may be called from any thread.
#pragma once

#include "protocol/result.h"

namespace slurp::bus {

// SIGHUP asks for a reload; SIGTERM and SIGINT ask to stop.
Status install_signal_handlers();

// True once per SIGHUP burst: reading clears the request, so several
// SIGHUPs before the loop looks collapse into one reload.
bool take_reload_request();

// True from the first SIGTERM/SIGINT on; never cleared.
bool stop_requested();

}  // namespace slurp::bus
