// What the crash tests share: a child process reports each durable index
// over a pipe, the parent reads the reports and SIGKILLs it
// (sqlite_crash_test.cc for raft.db, context_store_crash_test.cc for
// contexts.db).
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "protocol/result.h"

namespace slurp::storage::testing {

inline constexpr int kChildDeadlineMs = 60000;  // generous: a slow CI disk

inline Status write_report(int fd, std::uint64_t index) {
  // 8 bytes < PIPE_BUF: the write is atomic, a kill cannot split it.
  ssize_t n;
  do {
    n = ::write(fd, &index, sizeof index);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof index)) {
    return make_error(ErrorCode::internal, "pipe");
  }
  return ok_status();
}

// Kills and reaps the child if the test fails while it runs, so a failed
// REQUIRE never leaves a writer behind.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ~ChildGuard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  // The parent reaped it itself.
  void release() { pid_ = -1; }

 private:
  pid_t pid_;
};

// Reads reports until `want` arrived (then returns true) or the pipe closed
// (false); fails the test at the deadline.
inline bool read_reports(int fd, std::size_t want, std::uint64_t& max_reported,
                         std::size_t& received) {
  using Clock = std::chrono::steady_clock;
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(kChildDeadlineMs);
  std::uint8_t buffer[sizeof(std::uint64_t)];
  std::size_t filled = 0;
  while (received < want) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    REQUIRE(left.count() > 0);
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    REQUIRE(ready >= 0);
    if (ready == 0) continue;  // the deadline check above fails the test
    const ssize_t n = ::read(fd, buffer + filled, sizeof buffer - filled);
    if (n < 0 && errno == EINTR) continue;
    REQUIRE(n >= 0);
    if (n == 0) {
      REQUIRE(filled == 0);  // reports are atomic
      return false;
    }
    filled += static_cast<std::size_t>(n);
    if (filled == sizeof buffer) {
      std::uint64_t index;
      std::memcpy(&index, buffer, sizeof index);
      max_reported = std::max(max_reported, index);
      ++received;
      filled = 0;
    }
  }
  return true;
}

}  // namespace slurp::storage::testing
