// A corpus of hostile payload frames. Each must give its typed error, never a
// crash, and cost bounded memory. CI also runs this under AddressSanitizer.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <limits>
#include <new>

#include "protocol/codec.h"

// Counts bytes handed out by operator new so a test can bound what a decode
// allocates. Under AddressSanitizer the sanitizer owns operator new (and
// checks memory its own way), so counting is off there.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLURP_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SLURP_ASAN 1
#endif

namespace {
std::atomic<std::size_t> g_allocated_bytes{0};
#ifdef SLURP_ASAN
constexpr bool kCountingAllocations = false;
#else
constexpr bool kCountingAllocations = true;
#endif
}  // namespace

#ifndef SLURP_ASAN
// gcc's -Wmismatched-new-delete cannot see that these replacements pair
// malloc with free on both sides.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
  g_allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#endif

namespace slurp {
namespace {

using namespace std::string_literals;  // keeps NUL bytes in literals

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

// {"v":1,"type":"<type>", ...rest} with `extra` more entries in the map.
std::string message(std::string_view type, int extra, std::string rest) {
  std::string out;
  out += static_cast<char>(0x82 + extra);
  out += "\xa1v\x01\xa4type";
  out += static_cast<char>(0xa0 + type.size());
  out += type;
  return out + rest;
}

std::string nested_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '\x91') + '\x00';
}

// Five arrays of 60000 nils: every count is within its own limit, but the
// tree would hold 300k objects.
std::string too_many_objects() {
  std::string out = bytes({0x95});
  for (int i = 0; i < 5; ++i) {
    out += bytes({0xdc, 0xea, 0x60});  // array16 of 60000
    out += std::string(60000, '\xc0');
  }
  return out;
}

struct Case {
  const char* name;
  std::string input;
  ErrorCode code;
  const char* field;  // expected Error::field ("" = whole message)
};

std::vector<Case> corpus() {
  return {
      {"empty", "", ErrorCode::bad_request, ""},
      {"reserved byte", bytes({0xc1}), ErrorCode::bad_request, ""},
      {"truncated map", bytes({0x82, 0xa1, 'v', 0x01}), ErrorCode::bad_request,
       ""},
      {"truncated str", bytes({0xa5, 'a', 'b'}), ErrorCode::bad_request, ""},
      {"truncated length field", bytes({0xdb, 0x00}), ErrorCode::bad_request,
       ""},
      {"array32 claiming 4 billion items",
       bytes({0xdd, 0xff, 0x00, 0x00, 0x00}), ErrorCode::too_large, ""},
      {"array32 claiming more items than bytes",
       bytes({0xdd, 0x00, 0x00, 0x10, 0x00, 0xc0}), ErrorCode::bad_request, ""},
      {"map32 claiming 4 billion entries",
       bytes({0xdf, 0xff, 0xff, 0xff, 0xff}), ErrorCode::too_large, ""},
      {"str32 of 4 GiB", bytes({0xdb, 0xff, 0xff, 0xff, 0xff}),
       ErrorCode::too_large, ""},
      {"bin32 of 4 GiB", bytes({0xc6, 0xff, 0xff, 0xff, 0xff}),
       ErrorCode::too_large, ""},
      {"ext type", bytes({0xd4, 0x01, 0x00}), ErrorCode::bad_request, ""},
      {"deep nesting", nested_arrays(200), ErrorCode::bad_request, ""},
      {"too many objects", too_many_objects(), ErrorCode::too_large, ""},
      {"oversized frame", std::string(limits::message_bytes_max + 1, '\x00'),
       ErrorCode::too_large, ""},
      {"trailing bytes", bytes({0x80, 0x00}), ErrorCode::bad_request, ""},
      {"top level not a map", bytes({0x91, 0x01}), ErrorCode::bad_request, ""},
      {"integer key", bytes({0x81, 0x01, 0x01}), ErrorCode::bad_request, ""},
      {"duplicate key", bytes({0x82, 0xa1, 'v', 0x01, 0xa1, 'v', 0x01}),
       ErrorCode::bad_request, "v"},
      {"missing version",
       bytes({0x81, 0xa4, 't', 'y', 'p', 'e', 0xa4, 'p', 'i', 'n', 'g'}),
       ErrorCode::bad_request, "v"},
      {"version as str", bytes({0x81, 0xa1, 'v', 0xa1, '1'}),
       ErrorCode::bad_request, "v"},
      {"version 2", bytes({0x81, 0xa1, 'v', 0x02}),
       ErrorCode::unsupported_version, "v"},
      {"negative version", bytes({0x81, 0xa1, 'v', 0xff}),
       ErrorCode::bad_request, "v"},
      {"missing type", bytes({0x81, 0xa1, 'v', 0x01}), ErrorCode::bad_request,
       "type"},
      {"unknown type", message("fly", 0, ""), ErrorCode::bad_request, "type"},
      {"missing required id", message("ping", 0, ""), ErrorCode::bad_request,
       "id"},
      {"id as str", message("ping", 1, "\xa2id\xa1x"), ErrorCode::bad_request,
       "id"},
      {"negative id", message("ping", 1, "\xa2id\xff"), ErrorCode::bad_request,
       "id"},
      {"content as str instead of bin",
       message("generate", 4,
               "\xa2id\x01\xaarequest_id\xa1r\xa7"
               "address\xa1x\xa7"
               "content\xa3txt"),
       ErrorCode::bad_request, "content"},
      {"unknown priority",
       message("generate", 4,
               "\xa2id\x01\xaarequest_id\xa1r\xa7"
               "address\xa1x\xa8priority\xa4huge"),
       ErrorCode::bad_request, "priority"},
      {"wrong type deep inside a list",
       message("append", 6,
               "\xa4term\x01\xa6leader\xa2n1\xaeprev_log_index\x00"
               "\xadprev_log_term\x00\xac"
               "commit_index\x00\xa7"
               "entries\x92"
               "\x84\xa5index\x01\xa4term\x01\xa4kind\x01\xa4"
               "data\xc4\x00"
               "\x84\xa5index\x02\xa4term\xa1x\xa4kind\x01\xa4"
               "data\xc4\x00"s),
       ErrorCode::bad_request, "entries[1].term"},
  };
}

TEST_CASE("malformed frames give typed errors with bounded memory",
          "[codec][malformed]") {
  for (const Case& c : corpus()) {
    INFO("case: " << c.name);
    const std::size_t before = g_allocated_bytes.load();
    auto result = decode(c.input);
    const std::size_t allocated = g_allocated_bytes.load() - before;
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == c.code);
    CHECK(result.error().field == c.field);
    CHECK_FALSE(result.error().reason.empty());
    // The decoder's tree is bounded by the input: a few dozen bytes per
    // input byte at most, plus a small constant.
    if (kCountingAllocations) {
      CHECK(allocated <= 64 * c.input.size() + 64 * 1024);
    }
  }
}

TEST_CASE("non-finite floats are refused", "[codec][malformed]") {
  for (double bad : {std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    Context context;
    context.address = "ucxl://p/a.c";
    context.confidence = bad;
    auto result = decode(encode(ContextReply{1, context}));
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::bad_request);
    CHECK(result.error().field == "context.confidence");
  }
}

TEST_CASE("every truncation of a valid message is refused",
          "[codec][malformed]") {
  Append append{4, "n1", 1, 1, 1, {LogEntry{2, 4, 1, Bytes(40, 0x55)}}};
  std::string whole = encode(append);
  for (std::size_t n = 0; n < whole.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    auto result = decode(std::string_view(whole).substr(0, n));
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::bad_request);
  }
  CHECK(decode(whole).ok());
}

TEST_CASE("limits are enforced at the edge", "[codec][malformed]") {
  MsgpackLimits tight;
  tight.string_bytes_max = 4;
  CHECK(decode(encode(Ping{1}), tight).ok());  // "ping" is exactly 4
  auto result = decode(encode(Pong{1, "node1", "a", "b", 0}), tight);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == ErrorCode::too_large);

  CHECK(scan_msgpack(std::span<const std::uint8_t>(), {}).error().code ==
        ErrorCode::bad_request);
  std::string eight = nested_arrays(8);
  std::string nine = nested_arrays(9);
  auto span_of = [](const std::string& s) {
    return std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  CHECK(scan_msgpack(span_of(eight)).ok());
  CHECK_FALSE(scan_msgpack(span_of(nine)).ok());
}

}  // namespace
}  // namespace slurp
