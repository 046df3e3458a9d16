// A 64-bit FNV-1a hash, used for the trace hash, entry digests and the
// state machine's running hash. Not cryptographic: it only has to make an
// accidental collision between two different runs or commands unlikely.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace slurp::sim {

class Fnv64 {
 public:
  Fnv64& add(std::uint64_t value) {
    for (int shift = 0; shift < 64; shift += 8) {
      add_byte(static_cast<std::uint8_t>(value >> shift));
    }
    return *this;
  }
  Fnv64& add(std::span<const std::uint8_t> bytes) {
    add(static_cast<std::uint64_t>(bytes.size()));   // length first: no
    for (std::uint8_t byte : bytes) add_byte(byte);  // ambiguous splits
    return *this;
  }
  Fnv64& add(std::string_view text) {
    add(static_cast<std::uint64_t>(text.size()));
    for (char c : text) add_byte(static_cast<std::uint8_t>(c));
    return *this;
  }
  std::uint64_t value() const { return state_; }

 private:
  void add_byte(std::uint8_t byte) {
    state_ ^= byte;
    state_ *= 0x100000001b3ULL;
  }
  std::uint64_t state_ = 0xcbf29ce484222325ULL;
};

}  // namespace slurp::sim
