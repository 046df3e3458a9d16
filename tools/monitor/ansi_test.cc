// tools/monitor/ansi.h: colour, and widths that ignore escapes.
#include "tools/monitor/ansi.h"

#include <catch2/catch.hpp>

namespace slurp::monitor::ansi {
namespace {

TEST_CASE("paint wraps in SGR and a reset or does nothing when off") {
  CHECK(paint("ok", green, true) == "\x1b[32mok\x1b[0m");
  CHECK(paint("ok", green, false) == "ok");
  CHECK(paint("ok", "", true) == "ok");
}

TEST_CASE("visible width counts code points outside escapes") {
  CHECK(visible_width("abc") == 3);
  CHECK(visible_width(paint("abc", bold, true)) == 3);
  CHECK(visible_width("▁▂█") == 3);
}

TEST_CASE("fit cuts by columns and keeps escapes whole") {
  CHECK(fit("abcdef", 3) == "abc");
  CHECK(fit("ab", 3) == "ab");
  CHECK(fit("▁▂▃▄", 2) == "▁▂");
  const std::string red_text = paint("abcdef", red, true);
  CHECK(fit(red_text, 2) == "\x1b[31mab\x1b[0m");
  CHECK(visible_width(fit(red_text, 2)) == 2);
  CHECK_FALSE(has_escape(fit("abc", 2)));
}

}  // namespace
}  // namespace slurp::monitor::ansi
