// How often the calling thread has left its core: blocked (it waited for
// the disk, a lock or a sleep) or preempted (the scheduler gave the core
// to someone else). Beside a slow turn's wall and CPU time it says which
// of the two the rest was: on the 2-core benchmark machine a turn of
// 50 ms with 0.1 ms of CPU was, more often than not, preemptions.
//
// Threads: any; each reads its own.
#pragma once

#include <sys/resource.h>

#include <cstdint>

namespace slurp {

struct ThreadSwitches {
  std::uint64_t blocked = 0;    // voluntary context switches
  std::uint64_t preempted = 0;  // involuntary ones
  ThreadSwitches since(const ThreadSwitches& start) const {
    return {blocked - start.blocked, preempted - start.preempted};
  }
};

inline ThreadSwitches thread_switches() {
  rusage usage{};
  if (::getrusage(RUSAGE_THREAD, &usage) != 0) return {};
  return {static_cast<std::uint64_t>(usage.ru_nvcsw),
          static_cast<std::uint64_t>(usage.ru_nivcsw)};
}

}  // namespace slurp
