#include "bus/authorized_keys.h"

#include <catch2/catch.hpp>

#include "bus/curve_keys.h"
#include "bus_test_support.h"
#include "protocol/limits.h"

namespace slurp::bus::testing {
namespace {

// Distinct valid keys without running key generation thousands of times.
std::string key_number(std::uint32_t n) {
  std::string raw(32, '\0');
  for (int i = 0; i < 4; ++i) {
    raw[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  }
  return raw_key_to_z85(raw);
}

std::string error_text(std::string_view text) {
  Result<AuthorizedKeys> keys = parse_authorized_keys(text, "authorized_keys");
  REQUIRE_FALSE(keys.ok());
  return keys.error().describe();
}

TEST_CASE("authorized keys: a good file with comments, blanks, tabs, CRLF",
          "[bus][authorized_keys]") {
  std::string text = "# cluster keys\n\n" + key_number(1) + " node-1 node\r\n" +
                     "   # indented comment\n" + key_number(2) +
                     "\tworker_2.a\t admin  \n" + key_number(3) +
                     " obs observer";  // no final newline
  Result<AuthorizedKeys> keys = parse_authorized_keys(text, "authorized_keys");
  REQUIRE(keys.ok());
  CHECK(keys->size() == 3);
  std::optional<KeyEntry> node = keys->find(key_number(1));
  REQUIRE(node);
  CHECK(node->name == "node-1");
  CHECK(node->role == Role::node);
  std::optional<KeyEntry> by_raw = keys->find(*z85_key_to_raw(key_number(2)));
  REQUIRE(by_raw);
  CHECK(by_raw->name == "worker_2.a");
  CHECK(by_raw->role == Role::admin);
  CHECK(keys->find(key_number(3))->role == Role::observer);
  CHECK_FALSE(keys->find(key_number(4)));
  CHECK_FALSE(keys->find("short"));
  CHECK_FALSE(keys->find(""));
}

TEST_CASE("authorized keys: an empty file admits nobody",
          "[bus][authorized_keys]") {
  Result<AuthorizedKeys> keys =
      parse_authorized_keys("# nobody yet\n\n", "authorized_keys");
  REQUIRE(keys.ok());
  CHECK(keys->size() == 0);
}

TEST_CASE("authorized keys: each bad line names its line number",
          "[bus][authorized_keys]") {
  std::string good =
      key_number(1) + " alice admin\n# comment\n\n";  // lines 1-3
  std::string k = key_number(2);
  SECTION("unknown role") {
    CHECK_THAT(error_text(good + "\n\n\n" + k + " bob boss\n"),
               Catch::StartsWith(
                   "bad_request: authorized_keys:7: unknown role 'boss'"));
  }
  SECTION("too few fields") {
    CHECK_THAT(error_text(good + k + " bob\n"),
               Catch::Contains("authorized_keys:4: expected") &&
                   Catch::Contains("got 2 fields"));
  }
  SECTION("too many fields") {
    CHECK_THAT(error_text(good + k + " bob node extra\n"),
               Catch::Contains("authorized_keys:4: expected"));
  }
  SECTION("bad key") {
    CHECK_THAT(error_text(good + k.substr(1) + " bob node\n"),
               Catch::Contains("authorized_keys:4: bad public key"));
    CHECK_THAT(error_text(good + "x" + std::string(39, '#') + " bob node\n"),
               Catch::Contains("authorized_keys:4: bad public key"));
  }
  SECTION("bad names") {
    CHECK_THAT(error_text(good + k + " bob/x node\n"),
               Catch::Contains("authorized_keys:4: bad name 'bob/x'"));
    std::string long_name(limits::key_name_bytes_max + 1, 'n');
    CHECK_THAT(error_text(good + k + " " + long_name + " node\n"),
               Catch::Contains("authorized_keys:4: bad name"));
    CHECK_THAT(error_text(good + k + " b\x01x node\n"),
               Catch::Contains("bad name 'b?x'"));
  }
  SECTION("role names are exact") {
    CHECK_THAT(error_text(good + k + " bob Admin\n"),
               Catch::Contains("authorized_keys:4: unknown role 'Admin'"));
  }
  SECTION("the longest allowed name is fine") {
    std::string name(limits::key_name_bytes_max, 'n');
    CHECK(parse_authorized_keys(good + k + " " + name + " node\n", "x").ok());
  }
}

TEST_CASE("authorized keys: duplicate keys and names are refused",
          "[bus][authorized_keys]") {
  std::string first = key_number(1) + " alice admin\n";
  CHECK_THAT(error_text(first + "\n" + key_number(1) + " alice2 node\n"),
             Catch::Contains("authorized_keys:3: duplicate key (already on "
                             "line 1)"));
  CHECK_THAT(error_text(first + key_number(2) + " alice node\n"),
             Catch::Contains("authorized_keys:2: duplicate name 'alice' "
                             "(already on line 1)"));
}

TEST_CASE("authorized keys: size and count limits", "[bus][authorized_keys]") {
  std::string many;
  for (std::uint32_t i = 0; i <= limits::authorized_keys_max; ++i) {
    many += key_number(i) + " k" + std::to_string(i) + " worker\n";
  }
  Result<AuthorizedKeys> too_many = parse_authorized_keys(many, "ak");
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.error().code == ErrorCode::too_large);
  CHECK_THAT(
      too_many.error().describe(),
      Catch::Contains("ak:" + std::to_string(limits::authorized_keys_max + 1)));

  std::string huge(limits::authorized_keys_file_bytes_max + 1, '#');
  Result<AuthorizedKeys> too_big = parse_authorized_keys(huge, "ak");
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().code == ErrorCode::too_large);
}

TEST_CASE("authorized keys: the file must not be writable by others",
          "[bus][authorized_keys]") {
  TempDir dir;
  std::filesystem::path path = dir / "authorized_keys";
  write_text(path, key_number(1) + " alice admin\n", 0644);
  Result<AuthorizedKeys> keys = load_authorized_keys(path);
  REQUIRE(keys.ok());
  CHECK(keys->find(key_number(1))->name == "alice");

  write_text(path, key_number(1) + " alice admin\n", 0664);
  Result<AuthorizedKeys> group_writable = load_authorized_keys(path);
  REQUIRE_FALSE(group_writable.ok());
  CHECK_THAT(group_writable.error().describe(),
             Catch::Contains("chmod 644 " + path.string()));

  write_text(path, key_number(1) + " alice admin\nbad line\n", 0644);
  Result<AuthorizedKeys> bad = load_authorized_keys(path);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().describe(), Catch::Contains(path.string() + ":2:"));
}

}  // namespace
}  // namespace slurp::bus::testing
