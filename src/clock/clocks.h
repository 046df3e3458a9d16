// The two clocks, named for what they mean. Every reading of time in the
// project goes through one of them, so a variable says which it holds:
//   steady_now_ms()  never jumps; for timers, deadlines, intervals and
//                    budgets inside one process. Its epoch is arbitrary:
//                    never stored, never sent.
//   steady_now_us()  the same clock in microseconds, for how long a piece
//                    of work took when ms are too coarse (a loop turn).
//   wall_now_ms()    Unix epoch ms; what goes into commands, events,
//                    replies and audit records (PROTOCOL.md's *_ms fields).
//   thread_cpu_us()  CPU time the calling thread has used: beside a
//                    steady interval it tells work from waiting for a
//                    core (a long loop turn on a busy machine).
// The sans-IO cores (Raft, the state machine, the leader pipeline, the
// request table) read neither: time reaches them as ticks, inside
// commands, or as arguments named steady_now_ms / wall_now_ms.
//
// Threads: any.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

namespace slurp {

inline std::uint64_t steady_now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch())
          .count());
}

inline std::uint64_t steady_now_us() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<microseconds>(steady_clock::now().time_since_epoch())
          .count());
}

inline std::uint64_t wall_now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch())
          .count());
}

inline std::uint64_t thread_cpu_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000 +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace slurp
