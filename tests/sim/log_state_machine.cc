#include "tests/sim/log_state_machine.h"

#include <cassert>
#include <string>

#include "tests/sim/hash.h"

namespace slurp::sim {
namespace {

constexpr std::uint64_t kFormatVersion = 1;
// Bounds what deserialize() will allocate for one command: the simulator's
// commands are tens of bytes, so anything near this is damage.
constexpr std::uint64_t kCommandBytesMax = 1 << 20;

void put_u64(Bytes& out, std::uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

// Reads little-endian integers and byte strings, failing on truncation.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  bool u64(std::uint64_t& out) {
    if (in_.size() - at_ < 8) return false;
    out = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      out |= static_cast<std::uint64_t>(in_[at_ + i]) << (8 * i);
    }
    at_ += 8;
    return true;
  }
  bool bytes(std::uint64_t length, Bytes& out) {
    if (length > in_.size() - at_) return false;
    auto first = in_.begin() + static_cast<std::ptrdiff_t>(at_);
    out.assign(first, first + static_cast<std::ptrdiff_t>(length));
    at_ += static_cast<std::size_t>(length);
    return true;
  }
  bool done() const { return at_ == in_.size(); }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t at_ = 0;
};

Error damaged(std::string reason) {
  return make_error(ErrorCode::internal, "state machine snapshot: " + reason);
}

}  // namespace

std::uint64_t entry_digest(std::uint64_t kind, const Bytes& data) {
  return Fnv64().add(kind).add(data).value();
}

std::uint64_t next_state_hash(std::uint64_t prev, std::uint64_t index,
                              std::uint64_t term, std::uint64_t digest) {
  return Fnv64().add(prev).add(index).add(term).add(digest).value();
}

void LogStateMachine::apply(const LogEntry& entry) {
  assert(entry.index == applied_index() + 1);
  hash_ = next_state_hash(hash_, entry.index, entry.term,
                          entry_digest(entry.kind, entry.data));
  commands_.push_back(entry);
}

std::uint64_t LogStateMachine::applied_term() const {
  return commands_.empty() ? 0 : commands_.back().term;
}

const LogEntry& LogStateMachine::at(std::uint64_t index) const {
  assert(index >= 1 && index <= applied_index());
  return commands_[static_cast<std::size_t>(index - 1)];
}

Bytes LogStateMachine::serialize() const {
  Bytes out;
  put_u64(out, kFormatVersion);
  put_u64(out, applied_index());
  put_u64(out, applied_term());
  put_u64(out, hash_);
  put_u64(out, commands_.size());
  for (const LogEntry& entry : commands_) {
    put_u64(out, entry.index);
    put_u64(out, entry.term);
    put_u64(out, entry.kind);
    put_u64(out, entry.data.size());
    out.insert(out.end(), entry.data.begin(), entry.data.end());
  }
  return out;
}

Result<LogStateMachine> LogStateMachine::deserialize(
    std::span<const std::uint8_t> in) {
  Reader reader(in);
  std::uint64_t version = 0, index = 0, term = 0, hash = 0, count = 0;
  if (!reader.u64(version) || !reader.u64(index) || !reader.u64(term) ||
      !reader.u64(hash) || !reader.u64(count)) {
    return damaged("truncated header");
  }
  if (version != kFormatVersion) return damaged("unknown version");
  if (count != index) return damaged("count differs from applied index");
  LogStateMachine machine;
  for (std::uint64_t i = 1; i <= count; ++i) {
    LogEntry entry;
    std::uint64_t length = 0;
    if (!reader.u64(entry.index) || !reader.u64(entry.term) ||
        !reader.u64(entry.kind) || !reader.u64(length) ||
        length > kCommandBytesMax || !reader.bytes(length, entry.data)) {
      return damaged("truncated command " + std::to_string(i));
    }
    if (entry.index != i) return damaged("indices not dense");
    machine.apply(entry);
  }
  if (!reader.done()) return damaged("trailing bytes");
  if (machine.hash() != hash || machine.applied_term() != term) {
    return damaged("hash or term does not match the commands");
  }
  return machine;
}

}  // namespace slurp::sim
