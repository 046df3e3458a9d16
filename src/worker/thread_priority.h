// CPU priority of one thread. On Linux a nice value belongs to a thread,
// not to the whole process: setpriority(PRIO_PROCESS, tid) changes only
// that thread, and threads (and processes) it starts afterwards inherit
// it. Workers use this so that engines busy on every core still leave the
// node's loop the CPU it needs for heartbeats (README, "Running a node").
//
// Only ever lowers a priority (raises the nice value): that needs no
// privilege, and a worker has no reason to outrank anything.
//
// Threads: any; each call acts on the calling thread.
#pragma once

namespace slurp::worker {

// The nicest value Linux allows (lowest priority).
inline constexpr int thread_nice_max = 19;

// The calling thread's nice value (-20..19).
int this_thread_nice();

// Sets the calling thread's nice value to `nice` (clamped to
// thread_nice_max) when that lowers its priority; leaves a thread that is
// already at least that nice alone. Returns the thread's nice value after.
int lower_this_thread_priority_to(int nice);

}  // namespace slurp::worker
