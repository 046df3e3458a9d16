#include "src/engine/license.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

namespace slurp::engine {
namespace {

constexpr std::string_view kSpdxTag = "SPDX-License-Identifier:";

// Phrases that open (or sit in the first paragraph of) a license text,
// most specific first. Comparison ignores case and runs of whitespace and
// comment leaders, so a header wrapped behind `//`, `#` or ` * ` matches.
struct Marker {
  std::string_view phrase;
  std::string_view also;  // "" or a second phrase that must be present too
  std::string_view id;
};
constexpr std::array<Marker, 14> kMarkers{{
    {"apache license, version 2.0", "", "Apache-2.0"},
    {"gnu lesser general public license", "version 3", "LGPL-3.0-or-later"},
    {"gnu lesser general public license", "", "LGPL-2.1-or-later"},
    {"gnu library general public license", "", "LGPL-2.0-or-later"},
    {"gnu affero general public license", "", "AGPL-3.0-or-later"},
    {"gnu general public license", "version 3", "GPL-3.0-or-later"},
    {"gnu general public license", "", "GPL-2.0-or-later"},
    {"mozilla public license, v. 2.0", "", "MPL-2.0"},
    {"boost software license", "", "BSL-1.0"},
    {"permission is hereby granted, free of charge", "", "MIT"},
    {"redistribution and use in source and binary forms", "neither the name",
     "BSD-3-Clause"},
    {"redistribution and use in source and binary forms", "", "BSD-2-Clause"},
    {"permission to use, copy, modify, and/or distribute this software", "",
     "ISC"},
    {"this is free and unencumbered software released into the public domain",
     "", "Unlicense"},
}};

// glibc's memmem skips ahead by the needle's length; std::string_view::find
// stops at every occurrence of the needle's first byte, and for needles
// opening with 'e' or 'g' that was most of the scan.
std::size_t find_in(std::string_view text, std::string_view needle,
                    std::size_t limit = std::string_view::npos) {
  const std::size_t size = std::min(text.size(), limit);
  const void* at = ::memmem(text.data(), size, needle.data(), needle.size());
  return at == nullptr ? std::string_view::npos
                       : static_cast<std::size_t>(static_cast<const char*>(at) -
                                                  text.data());
}

// Each byte as the normalized text holds it: ASCII lower case, and 0 for
// whitespace and comment leaders. ASCII only, without the locale: the
// phrases are ASCII, and the locale-aware calls were a fifth of the
// engine's time on a tree.
constexpr std::array<char, 256> kFolded = [] {
  std::array<char, 256> t{};
  for (std::size_t c = 0; c < t.size(); ++c) t[c] = static_cast<char>(c);
  for (std::size_t c = 'A'; c <= 'Z'; ++c) {
    t[c] = static_cast<char>(c - 'A' + 'a');
  }
  for (const char c : {' ', '\t', '\n', '\r', '\f', '\v', '*', '#', '/'}) {
    t[static_cast<unsigned char>(c)] = 0;
  }
  return t;
}();

// Lower case, comment leaders and line breaks folded into single spaces
// (a NUL byte counts as a space too). Written through a pointer into
// storage sized up front: appending a byte at a time cost more than the
// matching.
std::string normalized(std::string_view text) {
  std::string out(text.size(), '\0');
  char* const begin = out.data();
  char* w = begin;
  bool space = false;
  for (char c : text) {
    const char folded = kFolded[static_cast<unsigned char>(c)];
    if (folded == 0) {
      space = w != begin;
      continue;
    }
    if (space) *w++ = ' ';
    space = false;
    *w++ = folded;
  }
  out.resize(static_cast<std::size_t>(w - begin));
  return out;
}

// The expression after the tag, up to the end of the line or a comment
// closer, e.g. "Apache-2.0 OR MIT".
std::optional<std::string> spdx_expression(std::string_view head) {
  const std::size_t at = find_in(head, kSpdxTag);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = head.substr(at + kSpdxTag.size());
  rest = rest.substr(0, rest.find_first_of("\r\n"));
  for (std::string_view closer : {"*/", "-->", "*)"}) {
    rest = rest.substr(0, rest.find(closer));
  }
  std::string id;
  for (char c : rest) {
    const auto u = static_cast<unsigned char>(c);
    // SPDX expressions: ids, '+', '.', '-', ':', parentheses, spaces.
    if (std::isalnum(u) || c == '-' || c == '.' || c == '+' || c == ':' ||
        c == '(' || c == ')' || c == ' ') {
      id += c;
    } else {
      break;
    }
  }
  while (!id.empty() && id.back() == ' ') id.pop_back();
  while (!id.empty() && id.front() == ' ') id.erase(id.begin());
  if (id.empty() || id.size() > license_id_bytes_max) return std::nullopt;
  return id;
}

}  // namespace

std::optional<std::string> detect_license(std::string_view content) {
  const std::string_view head =
      content.substr(0, std::min(content.size(), license_scan_bytes_max));
  if (auto id = spdx_expression(head)) return id;
  // Every marker holds one of these word fragments; most files hold none,
  // and then there is nothing to normalize.
  std::size_t first = std::string_view::npos;
  for (std::string_view fragment :
       {"icens", "ICENS", "ermission", "ERMISSION", "edistribution",
        "EDISTRIBUTION", "ublic domain", "UBLIC DOMAIN"}) {
    // Only an earlier hint matters, so each search stops where the
    // earliest so far begins.
    const std::size_t limit =
        first == std::string_view::npos ? first : first + fragment.size() - 1;
    first = std::min(first, find_in(head, fragment, limit));
  }
  if (first == std::string_view::npos) return std::nullopt;
  // Only the text around the first hint: a license's opening words and
  // the phrases that tell its variants apart sit within a few KiB of it.
  const std::size_t from = first > license_window_before_bytes
                               ? first - license_window_before_bytes
                               : 0;
  const std::string text = normalized(head.substr(from, license_window_bytes));
  for (const Marker& m : kMarkers) {
    if (find_in(text, m.phrase) == std::string_view::npos) continue;
    if (!m.also.empty() && find_in(text, m.also) == std::string_view::npos) {
      continue;
    }
    return std::string(m.id);
  }
  return std::nullopt;
}

}  // namespace slurp::engine
