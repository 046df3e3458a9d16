// Value rules beyond types (protocol/field_rules.h) and the decoder's
// UTF-8 check (check_utf8_strings): issue 12, item 12. Each gap the issue
// found is one case here.
#include "protocol/field_rules.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/ucxl_address.h"

namespace slurp {
namespace {

using namespace std::string_literals;

const std::string kHash =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

TEST_CASE("a content_hash is exactly 64 lowercase hex digits",
          "[protocol][rules]") {
  CHECK(is_content_hash(kHash));
  CHECK(check_content_hash(kHash, "content_hash").ok());
  for (const std::string& bad :
       {std::string(), std::string("abc"), kHash + "0", kHash.substr(1),
        std::string(64, 'A'), std::string(64, 'g'), kHash.substr(0, 63) + " ",
        std::string(1 << 20, 'a')}) {
    INFO(bad.size() << " bytes");
    CHECK_FALSE(is_content_hash(bad));
    Status s = check_content_hash(bad, "content_hash");
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::bad_request);
    CHECK(s.error().field == "content_hash");
    // The reason never quotes the value: a 1 MiB hash costs a short line.
    CHECK(s.error().reason.size() < 128);
  }
}

TEST_CASE("a confidence is a finite number from 0 to 1", "[protocol][rules]") {
  for (double ok : {0.0, 0.5, 1.0}) CHECK(check_confidence(ok, "c").ok());
  for (double bad : {7.5, -0.1, 1.0000001, std::nan(""),
                     std::numeric_limits<double>::infinity()}) {
    INFO(bad);
    Status s = check_confidence(bad, "context.confidence");
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::bad_request);
    CHECK(s.error().field == "context.confidence");
  }
}

TEST_CASE("a worker's context: hash empty or well formed, confidence in range",
          "[protocol][rules]") {
  Context c;
  c.address = "ucxl://p/a.c";
  CHECK(check_result_context(c, "context.").ok());
  c.content_hash = kHash;
  c.confidence = 1.0;
  CHECK(check_result_context(c, "context.").ok());
  c.content_hash = "not a hash";
  CHECK(check_result_context(c, "context.").error().field ==
        "context.content_hash");
  c.content_hash = kHash;
  c.confidence = 7.5;
  CHECK(check_result_context(c, "context.").error().field ==
        "context.confidence");
  // Long text is the worker's business (bounded by the message size).
  c.confidence = 0.5;
  c.summary.assign(limits::context_text_bytes_max + 1, 's');
  CHECK(check_result_context(c, "context.").ok());
}

TEST_CASE("a client-written context: every text field within its limit",
          "[protocol][rules]") {
  Context base;
  base.address = "ucxl://p/a.c";
  base.symbols = {{"main", "function", 1}};
  base.languages = {{"c", 1, 1}};
  REQUIRE(check_client_context(base, "context.").ok());
  using limits::context_item_bytes_max;
  using limits::context_name_bytes_max;
  using limits::context_text_bytes_max;
  struct Case {
    const char* field;
    void (*grow)(Context&);
  };
  const Case cases[] = {
      {"context.summary",
       [](Context& c) { c.summary.assign(context_text_bytes_max + 1, 'x'); }},
      {"context.purpose",
       [](Context& c) { c.purpose.assign(context_text_bytes_max + 1, 'x'); }},
      {"context.language",
       [](Context& c) { c.language.assign(context_name_bytes_max + 1, 'x'); }},
      {"context.engine",
       [](Context& c) { c.engine.assign(context_name_bytes_max + 1, 'x'); }},
      {"context.engine_version",
       [](Context& c) {
         c.engine_version.assign(context_name_bytes_max + 1, 'x');
       }},
      {"context.license",
       [](Context& c) {
         c.license = std::string(context_name_bytes_max + 1, 'x');
       }},
      {"context.tags[1]",
       [](Context& c) {
         c.tags = {"ok", std::string(context_item_bytes_max + 1, 'x')};
       }},
      {"context.technologies[0]",
       [](Context& c) {
         c.technologies = {std::string(context_item_bytes_max + 1, 'x')};
       }},
      {"context.imports[0]",
       [](Context& c) {
         c.imports = {std::string(context_item_bytes_max + 1, 'x')};
       }},
      {"context.todos[0]",
       [](Context& c) {
         c.todos = {std::string(context_item_bytes_max + 1, 'x')};
       }},
      {"context.symbols[0].name",
       [](Context& c) {
         c.symbols[0].name.assign(context_item_bytes_max + 1, 'x');
       }},
      {"context.symbols[0].kind",
       [](Context& c) {
         c.symbols[0].kind.assign(context_name_bytes_max + 1, 'x');
       }},
      {"context.languages[0].language",
       [](Context& c) {
         c.languages[0].language.assign(context_name_bytes_max + 1, 'x');
       }},
  };
  for (const Case& row : cases) {
    INFO(row.field);
    Context c = base;
    row.grow(c);
    Status s = check_client_context(c, "context.");
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::too_large);
    CHECK(s.error().field == row.field);
    CHECK(s.error().reason.size() < 128);
  }
  Context at_limit = base;
  at_limit.summary.assign(context_text_bytes_max, 'x');
  at_limit.tags = {std::string(context_item_bytes_max, 'x')};
  CHECK(check_client_context(at_limit, "context.").ok());
  Context bad = base;
  bad.confidence = 7.5;
  CHECK(check_client_context(bad, "context.").error().field ==
        "context.confidence");
}

// A msgpack str header for `n` bytes (n < 256) and the bytes.
std::string str8(const std::string& text) {
  return std::string("\xd9", 1) + static_cast<char>(text.size()) + text;
}

TEST_CASE("decode refuses a str that is not valid UTF-8, naming the field",
          "[protocol][rules][utf8]") {
  const std::string bad_utf8 = "req\xff\xfe";
  // {"v":1,"type":"generate","id":1,"request_id":<bad>,"address":"ucxl://p/a"}
  std::string frame = "\x85"s + "\xa1v\x01" + "\xa4type" + str8("generate") +
                      "\xa2id\x01" + "\xaarequest_id" + str8(bad_utf8) +
                      "\xa7"
                      "address" +
                      str8("ucxl://p/a");
  Result<Message> m = decode(frame);
  REQUIRE_FALSE(m);
  CHECK(m.error().code == ErrorCode::bad_request);
  CHECK(m.error().field == "request_id");
  CHECK_THAT(m.error().reason, Catch::Contains("UTF-8"));

  // The same frame with valid UTF-8 decodes.
  std::string good = "\x85"s + "\xa1v\x01" + "\xa4type" + str8("generate") +
                     "\xa2id\x01" + "\xaarequest_id" + str8("r\xc3\xa9q") +
                     "\xa7"
                     "address" +
                     str8("ucxl://p/a");
  REQUIRE(decode(good));
}

TEST_CASE("decode names nested str fields and array items",
          "[protocol][rules][utf8]") {
  UpdateContext u;
  u.id = 3;
  u.context.address = "ucxl://p/a.c";
  u.context.tags = {"fine", "PLACEHOLDER"};
  std::string frame = encode(u);
  // Swap the placeholder's bytes for an overlong '/' (same length).
  const std::size_t at = frame.find("PLACEHOLDER");
  REQUIRE(at != std::string::npos);
  frame.replace(at, 11, "\xc0\xaf\xc0\xaf\xc0\xaf\xc0\xaf\xc0\xaf\x80");
  Result<Message> m = decode(frame);
  REQUIRE_FALSE(m);
  CHECK(m.error().field == "context.tags[1]");

  // The envelope's `type` too: checked before the type is looked up.
  std::string type_frame =
      "\x82"s + "\xa1v\x01" + "\xa4type" + str8("ping\xed\xa0\x80");
  Result<Message> t = decode(type_frame);
  REQUIRE_FALSE(t);
  CHECK(t.error().field == "type");
  // A field name, too.
  std::string key_frame =
      "\x83"s + "\xa1v\x01" + "\xa4type" + str8("ping") + "\xa2\xff\xfe\x01";
  Result<Message> k = decode(key_frame);
  REQUIRE_FALSE(k);
  CHECK(k.error().code == ErrorCode::bad_request);
  CHECK_THAT(k.error().reason, Catch::Contains("field name"));
  // content is bin: any bytes.
  Generate g;
  g.id = 1;
  g.request_id = "r";
  g.address = "ucxl://p/a.c";
  g.content = Bytes{0xff, 0xfe, 0xc0, 0xaf};
  REQUIRE(decode(encode(g)));
}

TEST_CASE("identifiers '.' and '..' are refused; other dotted names are not",
          "[protocol][rules][ucxl]") {
  for (const char* ok : {"ucxl://.../x", "ucxl://.hidden/x", "ucxl://a..b/x",
                         "ucxl://a:r@p.q:t.u/x"}) {
    INFO(ok);
    CHECK(parse_ucxl(ok));
  }
  Result<UcxlAddress> dots = parse_ucxl("ucxl://a:r@..:t/x");
  REQUIRE_FALSE(dots);
  CHECK(dots.error().field == "project");
  CHECK_THAT(dots.error().reason, Catch::Contains("'..'"));
}

}  // namespace
}  // namespace slurp
