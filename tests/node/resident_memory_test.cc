#include "src/node/resident_memory.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>

namespace slurp::node {
namespace {

TEST_CASE("resident memory grows with memory the process touches",
          "[resident_memory]") {
  const std::uint64_t before = resident_bytes();
  // A test binary is resident in at least a few MB and nowhere near 64 GB.
  CHECK(before > 1024 * 1024);
  CHECK(before < (std::uint64_t{64} << 30));
  constexpr std::size_t kTouched = 64 * 1024 * 1024;
  auto block = std::make_unique<char[]>(kTouched);
  std::memset(block.get(), 1, kTouched);  // resident only once written
  const std::uint64_t after = resident_bytes();
  CHECK(block[kTouched - 1] == 1);
  // Most of it: the allocator may have reused a little freed memory.
  CHECK(after >= before + kTouched / 2);
}

}  // namespace
}  // namespace slurp::node
