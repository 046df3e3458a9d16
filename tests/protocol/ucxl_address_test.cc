// UCXL address parser and formatter; each rule tested here is stated in
// protocol/UCXL.md.
#include "protocol/ucxl_address.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "protocol/limits.h"

namespace Catch {
template <>
struct StringMaker<slurp::Temporal> {
  static std::string convert(const slurp::Temporal& t) { return t.to_string(); }
};
template <>
struct StringMaker<slurp::UcxlAddress> {
  static std::string convert(const slurp::UcxlAddress& a) {
    return a.to_string();
  }
};
}  // namespace Catch

namespace slurp {
namespace {

using Kind = Temporal::Kind;

constexpr std::size_t kIdentifierMax = limits::ucxl_identifier_bytes_max;
constexpr std::size_t kAddressMax = limits::ucxl_address_bytes_max;
constexpr std::size_t kSegmentsMax = limits::ucxl_path_segments_max;

const Temporal kLatest{Kind::latest, 0};
const Temporal kAny{Kind::any, 0};
Temporal version(std::uint64_t n) {
  return {Kind::version, n};
}
Temporal back(std::uint64_t n) {
  return {Kind::back, n};
}
Temporal forward(std::uint64_t n) {
  return {Kind::forward, n};
}

// "a/a/.../a" with `count` segments.
std::string segments(std::size_t count) {
  std::string path = "a";
  for (std::size_t i = 1; i < count; ++i) path += "/a";
  return path;
}

struct ValidCase {
  std::string input;
  std::string agent, role, project, task;
  Temporal temporal;
  std::string path;
  std::string canonical;
};

std::vector<ValidCase> valid_cases() {
  const std::string id64(kIdentifierMax, 'x');
  const std::string full64 = id64 + ":" + id64 + "@" + id64 + ":" + id64;
  // Short form whose canonical form is exactly at the address limit.
  const std::string canon_prefix = "ucxl://any:any@p:any/*^/";
  const std::string long_name(kAddressMax - canon_prefix.size(), 'n');
  return {
      // Full form, every temporal segment.
      {"ucxl://any:developer@project:main/*^/src/main.go", "any", "developer",
       "project", "main", kLatest, "src/main.go",
       "ucxl://any:developer@project:main/*^/src/main.go"},
      {"ucxl://a:r@p:t/*~/x", "a", "r", "p", "t", kAny, "x",
       "ucxl://a:r@p:t/*~/x"},
      {"ucxl://a:r@p:t/*~0/x", "a", "r", "p", "t", version(0), "x",
       "ucxl://a:r@p:t/*~0/x"},
      {"ucxl://a:r@p:t/*~42/x", "a", "r", "p", "t", version(42), "x",
       "ucxl://a:r@p:t/*~42/x"},
      {"ucxl://a:r@p:t/*~18446744073709551615/x", "a", "r", "p", "t",
       version(UINT64_MAX), "x", "ucxl://a:r@p:t/*~18446744073709551615/x"},
      {"ucxl://a:r@p:t/~~1/x", "a", "r", "p", "t", back(1), "x",
       "ucxl://a:r@p:t/~~1/x"},
      {"ucxl://a:r@p:t/~~18446744073709551615/x", "a", "r", "p", "t",
       back(UINT64_MAX), "x", "ucxl://a:r@p:t/~~18446744073709551615/x"},
      {"ucxl://a:r@p:t/^^2/x", "a", "r", "p", "t", forward(2), "x",
       "ucxl://a:r@p:t/^^2/x"},
      {"ucxl://a:r@p:t/src/a.go", "a", "r", "p", "t", kLatest, "src/a.go",
       "ucxl://a:r@p:t/*^/src/a.go"},
      // Short form, with and without every temporal segment.
      {"ucxl://project/src/main.go", "any", "any", "project", "any", kLatest,
       "src/main.go", "ucxl://any:any@project:any/*^/src/main.go"},
      {"ucxl://project/*^/src/main.go", "any", "any", "project", "any", kLatest,
       "src/main.go", "ucxl://any:any@project:any/*^/src/main.go"},
      {"ucxl://project/*~/src/a.go", "any", "any", "project", "any", kAny,
       "src/a.go", "ucxl://any:any@project:any/*~/src/a.go"},
      {"ucxl://project/*~3/src/a.go", "any", "any", "project", "any",
       version(3), "src/a.go", "ucxl://any:any@project:any/*~3/src/a.go"},
      {"ucxl://project/~~2/src/a.go", "any", "any", "project", "any", back(2),
       "src/a.go", "ucxl://any:any@project:any/~~2/src/a.go"},
      {"ucxl://project/^^1/src/a.go", "any", "any", "project", "any",
       forward(1), "src/a.go", "ucxl://any:any@project:any/^^1/src/a.go"},
      // Roots.
      {"ucxl://project", "any", "any", "project", "any", kLatest, "",
       "ucxl://any:any@project:any/*^/"},
      {"ucxl://project/", "any", "any", "project", "any", kLatest, "",
       "ucxl://any:any@project:any/*^/"},
      {"ucxl://project/*^", "any", "any", "project", "any", kLatest, "",
       "ucxl://any:any@project:any/*^/"},
      {"ucxl://project/*~5/", "any", "any", "project", "any", version(5), "",
       "ucxl://any:any@project:any/*~5/"},
      {"ucxl://a:r@p:t", "a", "r", "p", "t", kLatest, "", "ucxl://a:r@p:t/*^/"},
      {"ucxl://a:r@p:t/", "a", "r", "p", "t", kLatest, "",
       "ucxl://a:r@p:t/*^/"},
      {"ucxl://a:r@p:t/~~1", "a", "r", "p", "t", back(1), "",
       "ucxl://a:r@p:t/~~1/"},
      // Spaces, UTF-8 (2-, 3- and 4-byte), literal %, ?, #.
      {"ucxl://p/docs/My File.md", "any", "any", "p", "any", kLatest,
       "docs/My File.md", "ucxl://any:any@p:any/*^/docs/My File.md"},
      {"ucxl://p/src/na\u00efve/\u65e5\u672c.txt", "any", "any", "p", "any",
       kLatest, "src/na\u00efve/\u65e5\u672c.txt",
       "ucxl://any:any@p:any/*^/src/na\u00efve/\u65e5\u672c.txt"},
      {"ucxl://p/\U0001F600 ", "any", "any", "p", "any", kLatest, "\U0001F600 ",
       "ucxl://any:any@p:any/*^/\U0001F600 "},
      {"ucxl://p/a%20b?c#d", "any", "any", "p", "any", kLatest, "a%20b?c#d",
       "ucxl://any:any@p:any/*^/a%20b?c#d"},
      // Dot names other than . and .. are ordinary file names.
      {"ucxl://p/.gitignore/.../..x", "any", "any", "p", "any", kLatest,
       ".gitignore/.../..x", "ucxl://any:any@p:any/*^/.gitignore/.../..x"},
      // Temporal-looking names are only reserved as the first segment.
      {"ucxl://p/*^/*~3/x", "any", "any", "p", "any", kLatest, "*~3/x",
       "ucxl://any:any@p:any/*^/*~3/x"},
      {"ucxl://p/src/~~1", "any", "any", "p", "any", kLatest, "src/~~1",
       "ucxl://any:any@p:any/*^/src/~~1"},
      {"ucxl://p/~backup/^x", "any", "any", "p", "any", kLatest, "~backup/^x",
       "ucxl://any:any@p:any/*^/~backup/^x"},
      // Identifier alphabet and limits.
      {"ucxl://A.b_c-9:R@P.q:T-1/x", "A.b_c-9", "R", "P.q", "T-1", kLatest, "x",
       "ucxl://A.b_c-9:R@P.q:T-1/*^/x"},
      {"ucxl://" + full64 + "/x", id64, id64, id64, id64, kLatest, "x",
       "ucxl://" + full64 + "/*^/x"},
      {"ucxl://" + id64, "any", "any", id64, "any", kLatest, "",
       "ucxl://any:any@" + id64 + ":any/*^/"},
      {"ucxl://p/" + segments(kSegmentsMax), "any", "any", "p", "any", kLatest,
       segments(kSegmentsMax),
       "ucxl://any:any@p:any/*^/" + segments(kSegmentsMax)},
      {"ucxl://p/" + long_name, "any", "any", "p", "any", kLatest, long_name,
       canon_prefix + long_name},
  };
}

struct InvalidCase {
  std::string input;
  ErrorCode code;
  std::string field;
};

std::vector<InvalidCase> invalid_cases() {
  using namespace std::string_literals;
  constexpr auto bad = ErrorCode::bad_request;
  constexpr auto large = ErrorCode::too_large;
  const std::string id65(kIdentifierMax + 1, 'x');
  return {
      // Scheme.
      {"", bad, "scheme"},
      {"http://p/x", bad, "scheme"},
      {"UCXL://p/x", bad, "scheme"},
      {"Ucxl://p/x", bad, "scheme"},
      {"ucxl:/p/x", bad, "scheme"},
      {"ucxl//p/x", bad, "scheme"},
      {" ucxl://p/x", bad, "scheme"},
      // Missing or empty identifiers.
      {"ucxl://", bad, "project"},
      {"ucxl:///x", bad, "project"},
      {"ucxl://@p:t/x", bad, "agent"},
      {"ucxl://:r@p:t/x", bad, "agent"},
      {"ucxl://a@p:t/x", bad, "role"},
      {"ucxl://a:@p:t/x", bad, "role"},
      {"ucxl://a:r@/x", bad, "project"},
      {"ucxl://a:r@", bad, "project"},
      {"ucxl://a:r@:t/x", bad, "project"},
      {"ucxl://a:r@p/x", bad, "task"},
      {"ucxl://a:r@p:/x", bad, "task"},
      // Bad identifier bytes.
      {"ucxl://a:r:s@p:t/x", bad, "role"},
      {"ucxl://a:r@p:t:u/x", bad, "task"},
      {"ucxl://a:r@p@q:t/x", bad, "project"},
      {"ucxl://pro ject/x", bad, "project"},
      {"ucxl://project:task/x", bad, "project"},
      {"ucxl://p\x01/x", bad, "project"},
      {"ucxl://p\0/x"s, bad, "project"},
      {"ucxl://caf\u00e9/x", bad, "project"},
      {"ucxl://a+b:r@p:t/x", bad, "agent"},
      {"ucxl://p?q/x", bad, "project"},
      // "." and ".." would name another directory (issue 12, item 12).
      {"ucxl://../x", bad, "project"},
      {"ucxl://./x", bad, "project"},
      {"ucxl://..:r@p:t/x", bad, "agent"},
      {"ucxl://a:.@p:t/x", bad, "role"},
      {"ucxl://a:r@..:t/x", bad, "project"},
      {"ucxl://a:r@p:../x", bad, "task"},
      {"ucxl://a:r@p:./x", bad, "task"},
      {"ucxl://" + id65 + ":r@p:t/x", large, "agent"},
      {"ucxl://a:r@p:" + id65 + "/x", large, "task"},
      {"ucxl://" + id65 + "/x", large, "project"},
      // Temporal.
      {"ucxl://p/*", bad, "temporal"},
      {"ucxl://p/*x/y", bad, "temporal"},
      {"ucxl://p/*^1/x", bad, "temporal"},
      {"ucxl://p/*~abc/x", bad, "temporal"},
      {"ucxl://p/*~3a/x", bad, "temporal"},
      {"ucxl://p/*~-1/x", bad, "temporal"},
      {"ucxl://p/*~+1/x", bad, "temporal"},
      {"ucxl://p/*~ 1/x", bad, "temporal"},
      {"ucxl://p/~~", bad, "temporal"},
      {"ucxl://p/~~/x", bad, "temporal"},
      {"ucxl://p/^^", bad, "temporal"},
      {"ucxl://p/^^-1/x", bad, "temporal"},
      {"ucxl://p/~~0/x", bad, "temporal"},
      {"ucxl://p/^^0/x", bad, "temporal"},
      {"ucxl://p/*~01/x", bad, "temporal"},
      {"ucxl://p/*~00/x", bad, "temporal"},
      {"ucxl://p/~~007/x", bad, "temporal"},
      {"ucxl://p/*~18446744073709551616/x", bad, "temporal"},
      {"ucxl://p/~~99999999999999999999/x", bad, "temporal"},
      {"ucxl://a:r@p:t/^^1x/y", bad, "temporal"},
      {"ucxl://p/*foo.txt", bad, "temporal"},
      // Path.
      {"ucxl://p/src/../x", bad, "path"},
      {"ucxl://p/./x", bad, "path"},
      {"ucxl://p/..", bad, "path"},
      {"ucxl://p//x", bad, "path"},
      {"ucxl://p//", bad, "path"},
      {"ucxl://p/a//b", bad, "path"},
      {"ucxl://p/src/", bad, "path"},
      {"ucxl://p/*^//x", bad, "path"},
      {"ucxl://p/*^/a/", bad, "path"},
      {"ucxl://p/a\\b", bad, "path"},
      {"ucxl://p/a\x01"
       "b",
       bad, "path"},
      {"ucxl://p/a\x1f"
       "b",
       bad, "path"},
      {"ucxl://p/a\x7f"
       "b",
       bad, "path"},
      {"ucxl://p/a\0b"s, bad, "path"},
      {"ucxl://p/a\nb", bad, "path"},
      {"ucxl://p/a\tb", bad, "path"},
      {"ucxl://p/a\xff", bad, "path"},
      {"ucxl://p/\x80", bad, "path"},
      {"ucxl://p/\xc0\xaf", bad, "path"},          // overlong '/'
      {"ucxl://p/\xe0\x80\xaf", bad, "path"},      // overlong '/'
      {"ucxl://p/\xed\xa0\x80", bad, "path"},      // surrogate
      {"ucxl://p/\xf4\x90\x80\x80", bad, "path"},  // above U+10FFFF
      {"ucxl://p/\xe6\x97", bad, "path"},          // truncated
      {"ucxl://p/" + segments(kSegmentsMax + 1), large, "path"},
      // Length of the whole address.
      {"ucxl://p/" + std::string(kAddressMax - 9 + 1, 'n'), large, "address"},
      // Fits as written, but the canonical form would not.
      {"ucxl://p/" + std::string(kAddressMax - 9, 'n'), large, "address"},
  };
}

TEST_CASE("valid addresses parse to the expected fields", "[ucxl]") {
  for (const ValidCase& row : valid_cases()) {
    INFO("input: " << row.input);
    const Result<UcxlAddress> parsed = parse_ucxl(row.input);
    if (!parsed) FAIL(parsed.error().describe());
    CHECK(parsed->agent == row.agent);
    CHECK(parsed->role == row.role);
    CHECK(parsed->project == row.project);
    CHECK(parsed->task == row.task);
    CHECK(parsed->temporal == row.temporal);
    CHECK(parsed->path == row.path);
    CHECK(parsed->is_root() == row.path.empty());
    CHECK(parsed->to_string() == row.canonical);
  }
}

TEST_CASE("invalid addresses are rejected with code and field", "[ucxl]") {
  for (const InvalidCase& row : invalid_cases()) {
    INFO("input: " << row.input.substr(0, 80));
    const Result<UcxlAddress> parsed = parse_ucxl(row.input);
    if (parsed) FAIL("accepted as " << parsed->to_string());
    INFO("error: " << parsed.error().describe());
    CHECK(parsed.error().code == row.code);
    CHECK(parsed.error().field == row.field);
    CHECK_FALSE(parsed.error().reason.empty());
  }
}

TEST_CASE("canonical form round-trips over the valid table", "[ucxl]") {
  for (const ValidCase& row : valid_cases()) {
    INFO("input: " << row.input);
    const Result<UcxlAddress> first = parse_ucxl(row.input);
    REQUIRE(first);
    const std::string canonical = first->to_string();
    const Result<UcxlAddress> second = parse_ucxl(canonical);
    REQUIRE(second);
    CHECK(*second == *first);
    CHECK(second->to_string() == canonical);
  }
}

// Addresses glued from valid and invalid pieces; one fixed seed so a
// failure reproduces. Checks the round-trip law on whatever parses.
TEST_CASE("canonical form round-trips over generated addresses", "[ucxl]") {
  const std::vector<std::string> authorities = {
      "p", "any", "a:r@p:t", "any:any@p:any", "", "a@p", "p:t", "A.b-c_9"};
  const std::vector<std::string> temporals = {
      "", "*^/", "*~/", "*~0/", "*~7/", "~~1/", "^^9/", "*~01/", "~~0/", "*/"};
  const std::vector<std::string> segments_pool = {
      "src", "a b", "\u00e9", "..", ".", "", "*^", "~~1", "x.go", "\\"};
  std::mt19937 rng(20240611);
  std::size_t accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string text = "ucxl://" + authorities[rng() % authorities.size()];
    if (rng() % 4 != 0) text += "/" + temporals[rng() % temporals.size()];
    const auto count = rng() % 4;
    for (unsigned j = 0; j < count; ++j) {
      if (j > 0) text += "/";
      text += segments_pool[rng() % segments_pool.size()];
    }
    const Result<UcxlAddress> first = parse_ucxl(text);
    if (!first) continue;
    ++accepted;
    INFO("input: " << text);
    const std::string canonical = first->to_string();
    const Result<UcxlAddress> second = parse_ucxl(canonical);
    REQUIRE(second);
    REQUIRE(*second == *first);
    REQUIRE(second->to_string() == canonical);
  }
  CHECK(accepted > 500);  // the generator must exercise the valid side
}

TEST_CASE("errors name the offending text and byte offset", "[ucxl]") {
  const Result<UcxlAddress> temporal = parse_ucxl("ucxl://p/*~abc/x");
  REQUIRE_FALSE(temporal);
  CHECK_THAT(temporal.error().reason,
             Catch::Contains("'*~abc'") && Catch::Contains("at byte 9"));

  const Result<UcxlAddress> control = parse_ucxl("ucxl://p/ab\x01");
  REQUIRE_FALSE(control);
  CHECK_THAT(control.error().reason,
             Catch::Contains("\\x01") && Catch::Contains("at byte 11"));

  const Result<UcxlAddress> project = parse_ucxl("ucxl://pro ject");
  REQUIRE_FALSE(project);
  CHECK(project.error().describe() ==
        "bad_request: project: byte ' ' at byte 10 in project 'pro ject'; "
        "allowed are A-Z a-z 0-9 . _ -");
}

TEST_CASE("reasons stay short for long input", "[ucxl]") {
  const Result<UcxlAddress> parsed =
      parse_ucxl("ucxl://p/*~" + std::string(3000, '9'));
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().field == "temporal");
  CHECK(parsed.error().reason.size() < 200);
}

TEST_CASE("hand-built address formats in canonical form", "[ucxl]") {
  UcxlAddress address;
  address.project = "slurp";
  CHECK(address.is_root());
  CHECK(address.to_string() == "ucxl://any:any@slurp:any/*^/");
  address.temporal = back(3);
  address.path = "src/main.cc";
  CHECK(address.to_string() == "ucxl://any:any@slurp:any/~~3/src/main.cc");
  const Result<UcxlAddress> parsed = parse_ucxl(address.to_string());
  REQUIRE(parsed);
  CHECK(*parsed == address);
}

TEST_CASE("list prefixes: an address, a directory with '/', or as written",
          "[ucxl]") {
  CHECK(canonical_list_prefix("ucxl://project/src") ==
        "ucxl://any:any@project:any/*^/src");
  // PROTOCOL.md's own list example: a directory, matched inside only.
  CHECK(canonical_list_prefix("ucxl://project/src/") ==
        "ucxl://any:any@project:any/*^/src/");
  CHECK(canonical_list_prefix("ucxl://usr/include/linux/") ==
        "ucxl://any:any@usr:any/*^/include/linux/");
  CHECK(canonical_list_prefix("ucxl://project/") ==
        "ucxl://any:any@project:any/*^/");
  CHECK(canonical_list_prefix("ucxl://") == "ucxl://");
  CHECK(canonical_list_prefix("") == "");
  CHECK(canonical_list_prefix("ucxl://project/a//") == "ucxl://project/a//");
}

}  // namespace
}  // namespace slurp
