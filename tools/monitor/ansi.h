// ANSI (ECMA-48) escapes for slurp-monitor's terminal output: SGR colours,
// and measuring or cutting a line by what the terminal shows of it rather
// than by bytes (escapes take no columns; a UTF-8 sequence takes one).
// Every character counts as one column: slurp's own output (digits, ids,
// the sparkline's block elements) has no wide characters; a wide one in an
// address may overflow a line by a column.
//
// Free functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace slurp::monitor::ansi {

// SGR parameters (the part between "\x1b[" and "m").
inline constexpr std::string_view bold = "1";
inline constexpr std::string_view dim = "2";
inline constexpr std::string_view red = "31";
inline constexpr std::string_view green = "32";
inline constexpr std::string_view yellow = "33";
inline constexpr std::string_view blue = "34";
inline constexpr std::string_view magenta = "35";
inline constexpr std::string_view cyan = "36";
inline constexpr std::string_view bold_yellow = "1;33";
inline constexpr std::string_view bold_red = "1;31";
inline constexpr std::string_view reverse = "7";

// `text` wrapped in the SGR `sgr` and a reset; `text` alone when `on` is
// false or `sgr` is empty.
std::string paint(std::string_view text, std::string_view sgr, bool on);

// Columns `text` takes on a terminal: code points outside escapes.
std::size_t visible_width(std::string_view text);

// The longest prefix of `text` that takes at most `columns` columns, never
// cutting an escape or a UTF-8 sequence; a reset is appended when an
// escape was kept, so a cut colour does not leak into the next line.
std::string fit(std::string_view text, std::size_t columns);

// Whether `text` holds an escape (ESC) at all.
bool has_escape(std::string_view text);

// Screen control for the full-screen view.
inline constexpr std::string_view enter_alternate_screen = "\x1b[?1049h";
inline constexpr std::string_view leave_alternate_screen = "\x1b[?1049l";
inline constexpr std::string_view hide_cursor = "\x1b[?25l";
inline constexpr std::string_view show_cursor = "\x1b[?25h";
inline constexpr std::string_view home = "\x1b[H";
inline constexpr std::string_view clear_to_end_of_line = "\x1b[K";
inline constexpr std::string_view clear_to_end_of_screen = "\x1b[J";

}  // namespace slurp::monitor::ansi
