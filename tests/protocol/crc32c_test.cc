#include "protocol/crc32c.h"

#include <catch2/catch.hpp>
#include <string_view>

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
