// Codec round trips and golden vectors (PROTOCOL.md, "Messages").
#include "protocol/codec.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "golden_messages.h"

namespace slurp {
namespace {

const std::string kTestdata =
    std::string(SLURP_SOURCE_DIR) + "/protocol/testdata/";

std::string to_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out += digits[b >> 4];
    out += digits[b & 15];
    out += (i % 32 == 31) ? '\n' : ' ';
  }
  if (!out.empty()) out.back() = '\n';
  return out;
}

// Hex file: '#' comment lines, then hex digits with any whitespace.
std::string read_hex(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::string line, digits;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    for (char c : line) {
      if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
    }
  }
  REQUIRE(digits.size() % 2 == 0);
  std::string bytes;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

TEST_CASE("every message type round-trips through the codec", "[codec]") {
  std::set<std::size_t> covered;
  for (const auto& [name, message] : testing::golden_messages()) {
    INFO("vector " << name);
    covered.insert(message.index());
    CHECK(message_type(message) == name);
    std::string bytes = encode(message);
    auto decoded = decode(bytes);
    REQUIRE(decoded.ok());
    CHECK(*decoded == message);
    CHECK(encode(*decoded) == bytes);  // encoding is deterministic
  }
  CHECK(covered.size() == std::variant_size_v<Message>);
}

TEST_CASE("golden vectors match byte for byte", "[codec][golden]") {
  for (const auto& [name, message] : testing::golden_messages()) {
    INFO("protocol/testdata/" << name << ".hex");
    std::string golden = read_hex(kTestdata + name + ".hex");
    CHECK(to_hex(encode(message)) == to_hex(golden));
    auto decoded = decode(golden);
    REQUIRE(decoded.ok());
    CHECK(*decoded == message);
  }
}

// Rewrites the vectors after a deliberate protocol change. Hidden: run with
//   build/bin/slurp-protocol-tests '[.write-golden]'
TEST_CASE("write golden vectors", "[.write-golden]") {
  for (const auto& [name, message] : testing::golden_messages()) {
    std::ofstream out(kTestdata + name + ".hex");
    out << "# slurp protocol v1 golden vector: " << name << " (decoded form in "
        << name << ".json)\n"
        << to_hex(encode(message));
  }
}

TEST_CASE("unknown fields are ignored", "[codec]") {
  // {"v":1,"type":"ping","id":5,"zz":[1,2]}
  std::string bytes =
      "\x84\xa1v\x01\xa4type\xa4ping\xa2id\x05\xa2zz\x92\x01\x02";
  auto decoded = decode(bytes);
  REQUIRE(decoded.ok());
  CHECK(std::get<Ping>(*decoded).id == 5);
}

TEST_CASE("optional fields may be absent or nil", "[codec]") {
  // {"v":1,"type":"get","id":3,"address":"ucxl://p/a","stale":...} without
  // stale, and a generate with content=nil.
  std::string get =
      "\x84\xa1v\x01\xa4type\xa3get\xa2id\x03\xa7"
      "address\xaaucxl://p/a";
  auto decoded = decode(get);
  REQUIRE(decoded.ok());
  CHECK(std::get<GetContext>(*decoded).stale == false);
  std::string gen = std::string("\x86\xa1v\x01\xa4type\xa8generate\xa2id\x01") +
                    "\xaarequest_id\xa1r\xa7"
                    "address\xaaucxl://p/a" +
                    "\xa7"
                    "content\xc0";
  auto g = decode(gen);
  REQUIRE(g.ok());
  CHECK_FALSE(std::get<Generate>(*g).content.has_value());
  CHECK(std::get<Generate>(*g).priority == Priority::normal);
}

TEST_CASE("error replies carry stable codes", "[codec][errors]") {
  for (ErrorCode code : kAllErrorCodes) {
    Error e = make_error(code, "why", "field.x");
    ErrorReply wire = to_error_reply(9, e);
    CHECK(wire.code == static_cast<std::uint64_t>(code));
    CHECK(wire.name == error_name(code));
    auto back = decode(encode(wire));
    REQUIRE(back.ok());
    Error round = from_error_reply(std::get<ErrorReply>(*back));
    CHECK(round.code == code);
    CHECK(round.field == "field.x");
    CHECK(error_code_from_name(error_name(code)) == code);
  }
  // The numbers are part of the wire contract and must never change.
  CHECK(static_cast<int>(ErrorCode::bad_request) == 1);
  CHECK(static_cast<int>(ErrorCode::not_leader) == 6);
  CHECK(static_cast<int>(ErrorCode::internal) == 12);
  CHECK(static_cast<int>(ErrorCode::unavailable) == 13);
}

TEST_CASE("peek_request_id finds the id of undecodable requests", "[codec]") {
  // A ping of version 9 is refused, but its id is still readable.
  std::string bytes = "\x83\xa1v\x09\xa4type\xa4ping\xa2id\x2a";
  CHECK(decode(bytes).error().code == ErrorCode::unsupported_version);
  CHECK(peek_request_id(bytes) == 42);
  CHECK(peek_request_id("\xc1") == 0);
}

}  // namespace
}  // namespace slurp
