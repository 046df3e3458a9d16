// Process signals become flags. The handlers only store to lock-free atomics
// (async-signal-safe); the daemon loop, which polls with timeouts of at most
// 100 ms, reads the flags and does the real work (reload authorized keys,
// leave the cluster gracefully) on its own thread.
//
// install_signal_handlers(): call once from the main thread before other
// threads start. The readers may be called from any thread.
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
