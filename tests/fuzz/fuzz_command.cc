// Fuzzes the log's commands as StateMachine::apply meets them: the input is
// a short log (framing in state_fuzz_support.h) applied in order to one
// fresh machine. For every entry, the command struct its kind names must
// decode to a record or a typed error, and a decoded record must encode to
// bytes that decode to the same bytes again; apply must not crash, and a
// refused entry must change nothing but the applied index. At the end the
// machine's incrementally kept indexes must answer as a restored copy's.
#include <cstdint>
#include <cstdlib>

#include "protocol/record_codec.h"
#include "tests/fuzz/state_fuzz_support.h"

namespace slurp::state::fuzz {
namespace {

// Enough for every command to meet every other in a few orders; more only
// makes each run slower.
constexpr std::size_t kEntriesMax = 64;

template <class Command>
void check_decode(const Bytes& data) {
  Result<Command> command = decode_record<Command>(data);
  if (!command) {
    check(!command.error().reason.empty());  // errors must explain
    return;
  }
  // Compared as bytes: a NaN inside would fail operator==.
  const Bytes once = encode_record(*command);
  Result<Command> again = decode_record<Command>(once);
  check(again.ok() && encode_record(*again) == once);
}

void check_decode(std::uint64_t kind, const Bytes& data) {
  switch (static_cast<CommandKind>(kind)) {
    case CommandKind::enqueue: return check_decode<EnqueueCommand>(data);
    case CommandKind::cancel: return check_decode<CancelCommand>(data);
    case CommandKind::update_context:
      return check_decode<UpdateContextCommand>(data);
    case CommandKind::lease: return check_decode<LeaseCommand>(data);
    case CommandKind::complete: return check_decode<CompleteCommand>(data);
    case CommandKind::fail: return check_decode<FailCommand>(data);
    case CommandKind::expire: return check_decode<ExpireCommand>(data);
    case CommandKind::audit_anchor:
      return check_decode<AuditAnchorCommand>(data);
  }
}

}  // namespace
}  // namespace slurp::state::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace slurp::state;
  using namespace slurp::state::fuzz;
  const StateLimits limits = small_limits();
  StateMachine machine(limits);
  std::uint64_t index = 0;
  for (FramedEntry& entry : split_entries(data, size, kEntriesMax)) {
    check_decode(entry.kind, entry.data);
    StateMachine before = machine;
    ApplyOutcome out =
        machine.apply(slurp::LogEntry{++index, 1, entry.kind, entry.data});
    check(machine.applied_index() == index);
    if (out.error) {
      check(!out.error->reason.empty());
      // A no-op at the same index moves the copy's applied index alone.
      before.apply(slurp::LogEntry{index, 1, 0, {}});
      check(same_state(before, machine));
    }
  }
  check_snapshot_round_trip(machine, limits);
  return 0;
}
