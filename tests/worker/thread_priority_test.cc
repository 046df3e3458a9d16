#include "src/worker/thread_priority.h"

#include <sys/types.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace slurp::worker {
namespace {

// Field 19 of /proc/self/task/TID/stat, as top and ps read it: an outside
// view, so the test does not only check getpriority against setpriority.
int proc_nice(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // The name (field 2) is in parentheses and may hold spaces: count the
  // fields after its closing parenthesis, which is field 3.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 19 && fields >> field; ++i) {
  }
  return std::stoi(field);
}

TEST_CASE("lowering a thread's priority leaves the other threads alone",
          "[thread_priority]") {
  const int main_before = proc_nice(::gettid());
  REQUIRE(main_before == this_thread_nice());
  if (main_before > thread_nice_max - 5) {
    WARN("the test runs at nice " << main_before << ": no room to lower");
    return;
  }
  int lowered = 0, seen_outside = 0, child = 0;
  pid_t lowered_tid = 0;
  std::thread worker([&] {
    lowered = lower_this_thread_priority_to(this_thread_nice() + 5);
    lowered_tid = ::gettid();
    seen_outside = proc_nice(lowered_tid);
    // A thread it starts inherits the lower priority.
    std::thread grandchild([&] { child = this_thread_nice(); });
    grandchild.join();
  });
  worker.join();
  CHECK(lowered == main_before + 5);
  CHECK(seen_outside == main_before + 5);
  CHECK(child == main_before + 5);
  CHECK(proc_nice(::gettid()) == main_before);  // the caller's thread
  CHECK(this_thread_nice() == main_before);
}

TEST_CASE("priority is only ever lowered, and at most to nice 19",
          "[thread_priority]") {
  int clamped = 0, kept = 0;
  std::thread worker([&] {
    clamped = lower_this_thread_priority_to(100);
    // Asking for a higher priority (lower nice) again changes nothing.
    kept = lower_this_thread_priority_to(0);
  });
  worker.join();
  CHECK(clamped == thread_nice_max);
  CHECK(kept == thread_nice_max);
}

}  // namespace
}  // namespace slurp::worker
