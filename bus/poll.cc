#include "bus/poll.h"

#include <algorithm>
#include <cerrno>
#include <limits>

namespace slurp::bus {

int poll_items(std::span<zmq_pollitem_t> items,
               std::chrono::milliseconds timeout) {
  long timeout_ms =
      timeout.count() < 0
          ? -1L
          : static_cast<long>(std::min<std::chrono::milliseconds::rep>(
                timeout.count(), std::numeric_limits<int>::max()));
  int ready =
      zmq_poll(items.data(), static_cast<int>(items.size()), timeout_ms);
  if (ready >= 0) return ready;
  if (zmq_errno() == EINTR) return 0;
  throw zmq::error_t();
}

}  // namespace slurp::bus
