#include "src/worker/thread_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace slurp::worker {
namespace {

id_t this_thread_id() {
  return static_cast<id_t>(::gettid());
}

}  // namespace

int this_thread_nice() {
  // -1 is a valid nice value, so errors are told apart by errno; the only
  // possible one for our own thread is none at all.
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, this_thread_id());
  return errno == 0 ? nice : 0;
}

int lower_this_thread_priority_to(int nice) {
  nice = std::min(nice, thread_nice_max);
  if (this_thread_nice() < nice) {
    // Failure leaves the thread as it was: it only ever runs at a higher
    // priority than asked, never lower, which is safe to ignore.
    (void)::setpriority(PRIO_PROCESS, this_thread_id(), nice);
  }
  return this_thread_nice();
}

}  // namespace slurp::worker
