// Writes the seed corpora of fuzz_command and fuzz_restore from real
// commands: a few short logs, each a path through the job lifecycle
// (tests/fuzz/corpus/command/<name>), and the snapshot of the machine each
// log leaves (tests/fuzz/corpus/restore/<name>). Seeds that start from
// valid bytes let the fuzzers reach apply and restore's checks instead of
// spending their runs on the msgpack scanner.
//   make_state_corpus tests/fuzz/corpus
// Run by hand when the command or snapshot format changes; one thread.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "protocol/record_codec.h"
#include "tests/fuzz/state_fuzz_support.h"

namespace slurp::state::fuzz {
namespace {

const std::string kA = "ucxl://dev:developer@slurp:core/*^/src/a.cc";
const std::string kB = "ucxl://dev:developer@slurp:core/*^/src/b.cc";
const std::string kHash(64, 'a');

// A log being written: the framed bytes and the machine they lead to.
struct Log {
  Bytes framed;
  StateMachine machine{small_limits()};
  template <class Command>
  Log& add(CommandKind kind, const Command& command) {
    Bytes data = encode_record(command);
    append_entry(framed, kind, data);
    ApplyOutcome out =
        machine.apply(LogEntry{machine.applied_index() + 1, 1,
                               static_cast<std::uint64_t>(kind), data});
    // Refusals are part of some paths (queue_full, forbidden): listed so
    // that an unintended one shows when the formats change.
    if (out.error) {
      std::fprintf(stderr, "entry %llu refused: %s\n",
                   static_cast<unsigned long long>(machine.applied_index()),
                   out.error->describe().c_str());
    }
    return *this;
  }
};

EnqueueCommand enqueue(std::string request_id, std::string address,
                       std::uint64_t time_ms) {
  EnqueueCommand c;
  c.request_id = std::move(request_id);
  c.requester = "alice";
  c.role = "developer";
  c.address = std::move(address);
  c.time_ms = time_ms;
  c.engine_version = "1";
  return c;
}

Context context(const std::string& address) {
  Context c;
  c.address = address;
  c.content_hash = kHash;
  c.summary = "a";
  c.engine = "builtin";
  c.engine_version = "1";
  c.confidence = 0.5;
  return c;
}

// Enqueue with verified content, lease, complete: a stored context.
Log completed() {
  EnqueueCommand a = enqueue("r1", kA, 1000);
  a.content = Bytes{'x'};
  a.content_hash = kHash;
  a.content_hash_verified = true;
  a.priority = Priority::high;
  Log log;
  log.add(CommandKind::enqueue, a)
      .add(CommandKind::lease, LeaseCommand{1, 1000, 31000, {{1, 1}}})
      .add(CommandKind::complete,
           CompleteCommand{2000, {{1, 1, 1, context(kA)}}});
  return log;
}

// A job waiting for another, released when that one is cancelled; a
// retried request id; a second request attaching to nothing.
Log dependencies() {
  EnqueueCommand b = enqueue("r2", kB, 1100);
  b.depends_on = {kA};
  b.deadline_ms = 90000;
  Log log;
  log.add(CommandKind::enqueue, enqueue("r1", kA, 1000))
      .add(CommandKind::enqueue, b)
      .add(CommandKind::enqueue, enqueue("r1", kA, 1200))
      .add(CommandKind::cancel, CancelCommand{1, "alice", 1300, "developer"})
      .add(CommandKind::expire, ExpireCommand{90000});
  return log;
}

// Two failed attempts: a retry, then the dead letter (job_attempts_max 2).
Log dead_lettered() {
  Log log;
  log.add(CommandKind::enqueue, enqueue("r1", kA, 1000))
      .add(CommandKind::lease, LeaseCommand{1, 1000, 2000, {{1, 1}}})
      .add(CommandKind::fail,
           FailCommand{2000, {{1, 1, "lease expired", 2500}}})
      .add(CommandKind::lease, LeaseCommand{1, 2500, 3500, {{1, 2}}})
      .add(CommandKind::fail, FailCommand{3000, {{1, 2, "engine failed", 0}}});
  return log;
}

// An owned context overwritten by its owner, refused to someone else.
Log owned_context() {
  Log log;
  log.add(CommandKind::update_context,
          UpdateContextCommand{context(kA), "bob", 1000, "developer"})
      .add(CommandKind::update_context,
           UpdateContextCommand{context(kA), "carol", 1100, "developer"})
      .add(CommandKind::update_context,
           UpdateContextCommand{context(kB), "bob", 1200, std::nullopt});
  return log;
}

// Two nodes anchor their audit logs; the second one's goes back.
Log audit_anchors() {
  const std::string mac(64, 'b');
  Log log;
  log.add(CommandKind::audit_anchor,
          AuditAnchorCommand{"n1", 10, 1, mac, 1000, 10, mac})
      .add(CommandKind::audit_anchor,
           AuditAnchorCommand{"n2", 7, 1, mac, 1100, 0, ""})
      .add(CommandKind::audit_anchor,
           AuditAnchorCommand{"n2", 5, 1, mac, 1200, 5, mac});
  return log;
}

// More requests than queue_depth_max (8) admits, from five requesters
// (each may hold 8 / 4 = 2).
Log queue_full() {
  Log log;
  for (int i = 0; i < 10; ++i) {
    EnqueueCommand c = enqueue("r" + std::to_string(i), kA + std::to_string(i),
                               1000 + static_cast<std::uint64_t>(i));
    c.requester = "user" + std::to_string(i % 5);
    c.priority = static_cast<Priority>(i % 5);
    log.add(CommandKind::enqueue, c);
  }
  return log;
}

void write(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  check(out.good());
}

}  // namespace
}  // namespace slurp::state::fuzz

int main(int argc, char** argv) {
  using namespace slurp::state::fuzz;
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_state_corpus <corpus dir>\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  std::filesystem::create_directories(root / "command");
  std::filesystem::create_directories(root / "restore");
  const std::pair<const char*, Log (*)()> paths[] = {
      {"completed", completed},         {"dependencies", dependencies},
      {"dead_lettered", dead_lettered}, {"owned_context", owned_context},
      {"audit_anchors", audit_anchors}, {"queue_full", queue_full}};
  for (const auto& [name, make] : paths) {
    std::fprintf(stderr, "%s:\n", name);
    const Log log = make();
    write(root / "command" / name, log.framed);
    write(root / "restore" / name, log.machine.snapshot());
  }
  write(root / "restore" / "empty",
        slurp::state::StateMachine(small_limits()).snapshot());
  return 0;
}
