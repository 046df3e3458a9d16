#include "protocol/crc32c.h"

#include <catch2/catch.hpp>
#include <string_view>
#include <vector>

namespace slurp {
namespace {

std::span<const std::uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST_CASE("crc32c matches the RFC 3720 check values", "[crc32c]") {
  CHECK(crc32c(span_of("123456789")) == 0xe3069283u);
  CHECK(crc32c(span_of("")) == 0u);
  std::string zeros(32, '\0');
  CHECK(crc32c(span_of(zeros)) == 0x8a9136aau);  // RFC 3720 B.4
}

TEST_CASE("crc32c continues across pieces", "[crc32c]") {
  CHECK(crc32c(span_of("56789"), crc32c(span_of("1234"))) ==
        crc32c(span_of("123456789")));
}

}  // namespace
}  // namespace slurp

TEST_CASE("the hardware and table forms agree on every length and offset",
          "[crc32c]") {
  std::vector<std::uint8_t> data(1000);
  std::uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 16);
  }
  for (std::size_t start = 0; start < 9; ++start) {
    for (std::size_t len = 0; len + start <= data.size(); len += 37) {
      std::span<const std::uint8_t> piece(data.data() + start, len);
      INFO("start " << start << " length " << len);
      CHECK(slurp::crc32c(piece, 0x1234u) ==
            slurp::crc32c_portable_for_testing(piece, 0x1234u));
    }
  }
}
