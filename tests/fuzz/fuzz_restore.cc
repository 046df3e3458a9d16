// Fuzzes StateMachine::restore, which loads a snapshot a leader sent: any
// bytes give a restored machine or an error that explains and leaves the
// machine as it was. A restored machine must snapshot to bytes that
// restore to an equal machine, and must survive the leader's work on it
// (lease what is dispatchable, expire every deadline, fail every lease):
// restore's checks are all that stands between a bad snapshot and the
// assertions of those transitions.
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "protocol/record_codec.h"
#include "src/state/commands.h"
#include "tests/fuzz/state_fuzz_support.h"

namespace slurp::state::fuzz {
namespace {

constexpr std::uint64_t kLate = std::numeric_limits<std::uint64_t>::max();
// Jobs leased in one go: a handful covers every state a lease meets.
constexpr std::size_t kLeasedMax = 8;

template <class Command>
void apply_command(StateMachine& machine, CommandKind kind,
                   const Command& command) {
  const std::uint64_t index = machine.applied_index() + 1;
  machine.apply(LogEntry{index, 1, static_cast<std::uint64_t>(kind),
                         encode_record(command)});
}

// The leader's transitions, each over whatever jobs the snapshot holds.
void work_on(StateMachine& machine) {
  LeaseCommand lease;
  lease.term = 2;
  lease.time_ms = kLate / 2;
  lease.lease_until_ms = kLate / 2 + 1000;
  for (const DispatchPick& pick :
       machine.next_dispatch(kLate, kLeasedMax, {})) {
    lease.jobs.push_back({pick.job_id, pick.attempt});
  }
  apply_command(machine, CommandKind::lease, lease);
  apply_command(machine, CommandKind::expire, ExpireCommand{kLate});
  FailCommand fail;
  fail.time_ms = kLate;
  for (const LeasedJob& job : machine.expired_leases(kLate, kLeasedMax)) {
    fail.failures.push_back({job.job_id, job.attempt, "lease expired", kLate});
  }
  apply_command(machine, CommandKind::fail, fail);
}

}  // namespace
}  // namespace slurp::state::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace slurp::state;
  using namespace slurp::state::fuzz;
  const StateLimits limits = small_limits();
  StateMachine machine(limits);
  slurp::Status restored =
      machine.restore(std::span<const std::uint8_t>(data, size));
  if (!restored) {
    check(!restored.error().reason.empty());  // errors must explain
    check(machine == StateMachine(limits));   // and change nothing
    return 0;
  }
  check_snapshot_round_trip(machine, limits);
  // Raft never applies past this index; apply would rightly assert.
  if (machine.applied_index() > kLate - 3) return 0;
  work_on(machine);
  check_snapshot_round_trip(machine, limits);
  return 0;
}
