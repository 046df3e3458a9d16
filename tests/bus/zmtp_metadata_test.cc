#include "bus/zmtp_metadata.h"

#include <catch2/catch.hpp>

using slurp::bus::decode_zmtp_metadata;
using slurp::bus::encode_zmtp_metadata;

TEST_CASE(
    "ZMTP metadata: name-length, name, 4-octet big-endian value-length, value",
    "[bus]") {
  using namespace std::string_literals;
  std::string bytes = encode_zmtp_metadata({{"Role", "admin"}});
  CHECK(bytes ==
        "\x04Role\x00\x00\x00\x05"
        "admin"s);
  auto decoded = decode_zmtp_metadata(bytes);
  REQUIRE(decoded);
  REQUIRE(decoded->size() == 1);
  CHECK((*decoded)[0].first == "Role");
  CHECK((*decoded)[0].second == "admin");
}

TEST_CASE("ZMTP metadata: several properties and empty values round-trip",
          "[bus]") {
  std::vector<slurp::bus::MetadataProperty> properties = {
      {"Role", "node"}, {"X-Empty", ""}, {"User-Id", "n1"}};
  auto decoded = decode_zmtp_metadata(encode_zmtp_metadata(properties));
  REQUIRE(decoded);
  CHECK(*decoded == properties);
  CHECK(decode_zmtp_metadata("")->empty());
}

TEST_CASE("ZMTP metadata: truncated or zero-length names are refused",
          "[bus]") {
  using namespace std::string_literals;
  std::string good = encode_zmtp_metadata({{"Role", "admin"}});
  for (std::size_t cut = 1; cut < good.size(); ++cut) {
    CHECK_FALSE(decode_zmtp_metadata(good.substr(0, cut)));
  }
  CHECK_FALSE(decode_zmtp_metadata("\x00\x00\x00\x00\x00"s));
}
