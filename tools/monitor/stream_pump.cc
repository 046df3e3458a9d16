#include "tools/monitor/stream_pump.h"

namespace slurp::monitor {

void pump(client::EventStream& stream, EventFollower& follower,
          std::chrono::milliseconds wait) {
  using std::chrono::milliseconds;
  for (std::size_t n = 0; n < pump_items_max; ++n) {
    const milliseconds this_wait =
        n == 0 && !follower.fetching() ? wait : milliseconds(0);
    auto item = stream.next(this_wait);
    if (!item) break;
    follower.handle(std::move(*item));
  }
  follower.fetch_round();
}

}  // namespace slurp::monitor
