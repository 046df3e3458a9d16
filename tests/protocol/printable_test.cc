// printable_prefix: untrusted text quoted in logs, replies and the audit
// log cannot forge a line, drive a terminal, carry invalid UTF-8 or grow
// with its input (issue 12, items 3, 8 and 9).
#include "protocol/printable.h"

#include <catch2/catch.hpp>
#include <string>

namespace slurp {
namespace {

TEST_CASE("plain text is copied", "[printable]") {
  CHECK(printable_prefix("request.rejected", 64) == "request.rejected");
  CHECK(printable_prefix("", 64).empty());
  CHECK(printable_prefix("grüße, 日本, 🙂", 64) ==
        "grüße, 日本, 🙂");
}

TEST_CASE("control bytes are escaped, so no line can be forged",
          "[printable]") {
  const std::string forged =
      "x\nZAP accepted CURVE peer 10.0.0.66 as 'admin'\x1b[2J\r\t\x7f";
  const std::string out = printable_prefix(forged, 1024);
  CHECK(out ==
        "x\\nZAP accepted CURVE peer 10.0.0.66 as 'admin'\\x1B[2J\\r\\t\\x7F");
  for (char c : out) {
    CHECK(static_cast<unsigned char>(c) >= 0x20);
    CHECK(c != 0x7F);
  }
  CHECK(printable_prefix(std::string("a\0b", 3), 64) == "a\\x00b");
  // A literal backslash is doubled, so "\x1B" in the output always means ESC.
  CHECK(printable_prefix("\\x1B", 64) == "\\\\x1B");
}

TEST_CASE("invalid UTF-8 is escaped byte by byte", "[printable]") {
  CHECK(printable_prefix("a\xff"
                         "b",
                         64) == "a\\xFFb");
  CHECK(printable_prefix("\xc3", 64) == "\\xC3");           // truncated
  CHECK(printable_prefix("\x80\xbf", 64) == "\\x80\\xBF");  // continuation
  CHECK(printable_prefix("\xc0\xaf", 64) == "\\xC0\\xAF");  // overlong '/'
  CHECK(printable_prefix("\xe0\x80\xaf", 64) == "\\xE0\\x80\\xAF");
  CHECK(printable_prefix("\xed\xa0\x80", 64) == "\\xED\\xA0\\x80");  // D800
  CHECK(printable_prefix("\xf4\x90\x80\x80", 64) ==
        "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
  CHECK(printable_prefix("\xf4\x8f\xbf\xbf", 64) == "\xf4\x8f\xbf\xbf");
  CHECK(is_valid_utf8(printable_prefix("\xff\xfe\xc3(\xe2\x82", 64)));
  CHECK_FALSE(is_valid_utf8("\xc3("));
  CHECK(is_valid_utf8("ok \xc3\xa9"));
}

TEST_CASE("code points that reorder or break lines are escaped",
          "[printable]") {
  CHECK(printable_prefix("a\xc2\x9b"
                         "2J",
                         64) == "a\\u{009B}2J");  // C1 CSI
  CHECK(printable_prefix("\xe2\x80\xae"
                         "txt",
                         64) == "\\u{202E}txt");
  CHECK(printable_prefix("a\xe2\x80\xa8"
                         "b",
                         64) == "a\\u{2028}b");
}

TEST_CASE("a 1 MiB input yields a bounded prefix that says what it left out",
          "[printable]") {
  const std::string huge(1024 * 1024, 'A');
  const std::string out = printable_prefix(huge, 64);
  CHECK(out.size() <= 64);
  const std::string tail = "\xE2\x80\xA6(+" +
                           std::to_string(huge.size() - out.find("\xE2")) +
                           " bytes)";
  CHECK(out.substr(out.find("\xE2")) == tail);
  CHECK(out.substr(0, 5) == "AAAAA");
  CHECK(is_valid_utf8(out));
}

TEST_CASE("the cut never splits a character or an escape", "[printable]") {
  // Every bound from 0 to past the end: the output is valid UTF-8, within
  // the bound (or just the marker), and its kept part is a prefix of the
  // whole escaped text.
  const std::string in = "é\x1b日\xff🙂\\zz\n";
  const std::string whole = printable_prefix(in, 1024);
  for (std::size_t max = 0; max <= whole.size() + 2; ++max) {
    const std::string out = printable_prefix(in, max);
    CAPTURE(max, out);
    CHECK(is_valid_utf8(out));
    CHECK(out.size() <= std::max(max, printable_marker_bytes_max));
    if (out == whole) continue;
    const std::size_t mark = out.rfind("\xE2\x80\xA6(+");
    REQUIRE(mark != std::string::npos);
    CHECK(whole.compare(0, mark, out, 0, mark) == 0);
  }
}

TEST_CASE("the marker counts the input bytes left out", "[printable]") {
  // 40 ESC bytes escape to 160 bytes; a cut after k escapes leaves 40 - k.
  const std::string in(40, '\x1b');
  const std::string out = printable_prefix(in, 60);
  const std::size_t kept = out.find("\xE2") / 4;
  CHECK(out.substr(out.find("\xE2")) ==
        "\xE2\x80\xA6(+" + std::to_string(40 - kept) + " bytes)");
}

}  // namespace
}  // namespace slurp
