// One zmq_poll that survives signals. A SIGHUP or SIGTERM arriving while a
// thread sits in zmq_poll makes it fail with EINTR (poll(2) is never
// restarted, SA_RESTART or not); cppzmq's zmq::poll turns that into an
// exception. Here EINTR means "nothing ready yet", so loops go on to check
// their signal flags. Any thread may call it with items it owns.
#pragma once

#include <chrono>
#include <span>
#include <zmq.hpp>

namespace slurp::bus {

// Number of ready items (0 on timeout or EINTR). Throws zmq::error_t on any
// other failure (ETERM when the context is shutting down, EFAULT ...).
// timeout < 0 waits forever.
int poll_items(std::span<zmq_pollitem_t> items,
               std::chrono::milliseconds timeout);

}  // namespace slurp::bus
