#include "protocol/ucxl_address.h"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "protocol/limits.h"

namespace slurp {

namespace {

constexpr std::string_view kScheme = "ucxl://";
// Reasons quote the offending text; a 4 KiB address must not make a 4 KiB
// log line.
constexpr std::size_t kQuotedBytesMax = 64;

Error bad(const char* field, std::string reason) {
  return make_error(ErrorCode::bad_request, std::move(reason), field);
}

Error over_limit(const char* field, std::string reason) {
  return make_error(ErrorCode::too_large, std::move(reason), field);
}

std::string at_byte(std::size_t offset) {
  return "at byte " + std::to_string(offset);
}

// Quotes input for a reason. Bytes outside printable ASCII (and the
// backslash) are escaped so a reason is always one safe line of ASCII.
std::string quoted(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  const std::size_t shown = std::min(text.size(), kQuotedBytesMax);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\\') {
      out += "\\\\";
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += text[i];
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  out += text.size() > shown ? "'..." : "'";
  return out;
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string scheme_reason(std::string_view text) {
  const std::string_view head = text.substr(0, kScheme.size());
  const bool only_case_differs =
      head.size() == kScheme.size() &&
      std::equal(head.begin(), head.end(), kScheme.begin(),
                 [](char a, char b) { return ascii_lower(a) == b; });
  if (only_case_differs) {
    return "scheme " + quoted(head) + " must be lowercase 'ucxl://'";
  }
  return "expected 'ucxl://' at byte 0, found " + quoted(head);
}

bool is_identifier_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// `offset` is where `value` starts in the whole address, so that a reason
// points at the byte the user must fix.
Status check_identifier(std::string_view value, std::size_t offset,
                        const char* field) {
  const std::string name = field;
  if (value.empty()) return bad(field, name + " is empty " + at_byte(offset));
  if (value.size() > limits::ucxl_identifier_bytes_max) {
    return over_limit(
        field, name + " " + quoted(value) + " is " +
                   std::to_string(value.size()) + " bytes; the limit is " +
                   std::to_string(limits::ucxl_identifier_bytes_max));
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!is_identifier_byte(value[i])) {
      return bad(field, "byte " + quoted(value.substr(i, 1)) + " " +
                            at_byte(offset + i) + " in " + name + " " +
                            quoted(value) + "; allowed are A-Z a-z 0-9 . _ -");
    }
  }
  // Identifiers become directory names (a worker's output tree, slurpctl's
  // files), where "." and ".." would mean another directory.
  if (value == "." || value == "..") {
    return bad(field, name + " " + quoted(value) + " " + at_byte(offset) +
                          " is not a name; '.' and '..' are refused");
  }
  return ok_status();
}

// Parses "first:second" at the first ':' into two identifiers.
Status parse_pair(std::string_view text, std::size_t offset,
                  const char* first_field, const char* second_field,
                  std::string& first, std::string& second) {
  const std::size_t colon = text.find(':');
  // "ucxl://a:r@" lacks the project more than the task: name the first gap.
  if (text.empty()) return check_identifier(text, offset, first_field);
  if (colon == std::string_view::npos) {
    return bad(second_field, "missing ':" + std::string(second_field) +
                                 "' in " + quoted(text) + " " +
                                 at_byte(offset) +
                                 "; the full form is "
                                 "agent:role@project:task");
  }
  const std::string_view first_text = text.substr(0, colon);
  const std::string_view second_text = text.substr(colon + 1);
  if (Status s = check_identifier(first_text, offset, first_field); !s) {
    return s;
  }
  if (Status s =
          check_identifier(second_text, offset + colon + 1, second_field);
      !s) {
    return s;
  }
  first = first_text;
  second = second_text;
  return ok_status();
}

// A '@' selects the full form agent:role@project:task; without one the
// authority is the project alone and the rest keep their "any" defaults.
Status parse_authority(std::string_view authority, std::size_t offset,
                       UcxlAddress& out) {
  const std::size_t at_sign = authority.find('@');
  if (at_sign == std::string_view::npos) {
    // A likely slip (task without agent:role); say what the fix is.
    if (const std::size_t colon = authority.find(':');
        colon != std::string_view::npos) {
      return bad("project", "':' " + at_byte(offset + colon) + " in " +
                                quoted(authority) +
                                ": the short form names the project alone;"
                                " the full form is agent:role@project:task");
    }
    if (Status s = check_identifier(authority, offset, "project"); !s) {
      return s;
    }
    out.project = authority;
    return ok_status();
  }
  if (Status s = parse_pair(authority.substr(0, at_sign), offset, "agent",
                            "role", out.agent, out.role);
      !s) {
    return s;
  }
  return parse_pair(authority.substr(at_sign + 1), offset + at_sign + 1,
                    "project", "task", out.project, out.task);
}

// Decimal, no sign, no leading zeros: each number has one spelling, so the
// canonical form is unique.
Result<std::uint64_t> parse_count(std::string_view segment,
                                  std::size_t offset) {
  const std::string_view digits = segment.substr(2);
  const std::string where = quoted(segment) + " " + at_byte(offset);
  if (digits.empty()) {
    return bad("temporal", where + ": expected a decimal number after " +
                               quoted(segment.substr(0, 2)));
  }
  if (digits.size() > 1 && digits[0] == '0') {
    return bad("temporal", where + ": leading zero in the number");
  }
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const char c = digits[i];
    if (c < '0' || c > '9') {
      return bad("temporal", where + ": " + quoted(digits.substr(i, 1)) +
                                 " is not a decimal digit");
    }
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (n > (kMax - digit) / 10) {
      return bad("temporal", where + ": the number does not fit in 64 bits");
    }
    n = n * 10 + digit;
  }
  return n;
}

// Segments reserved for the temporal position (UCXL.md, "Temporal").
bool looks_temporal(std::string_view segment) {
  return segment.starts_with('*') || segment.starts_with("~~") ||
         segment.starts_with("^^");
}

Result<Temporal> parse_temporal(std::string_view segment, std::size_t offset) {
  using Kind = Temporal::Kind;
  if (segment == "*^") return Temporal{Kind::latest, 0};
  if (segment == "*~") return Temporal{Kind::any, 0};
  Kind kind = Kind::version;
  if (segment.starts_with("*~")) {
    kind = Kind::version;
  } else if (segment.starts_with("~~")) {
    kind = Kind::back;
  } else if (segment.starts_with("^^")) {
    kind = Kind::forward;
  } else {
    return bad("temporal", quoted(segment) + " " + at_byte(offset) +
                               ": expected *^, *~, *~N, ~~N or ^^N");
  }
  Result<std::uint64_t> n = parse_count(segment, offset);
  if (!n) return n.error();
  // ~~0 and ^^0 would be second spellings of "the current version".
  if (kind != Kind::version && *n == 0) {
    return bad("temporal", quoted(segment) + " " + at_byte(offset) +
                               ": the step count must be at least 1");
  }
  return Temporal{kind, *n};
}

// Length of the well-formed UTF-8 sequence that starts `bytes`, or 0 when
// there is none (stray continuation, overlong form, surrogate, above
// U+10FFFF, truncated). Well-formed text is what msgpack str and every
// third-party client expect.
std::size_t utf8_sequence_bytes(std::string_view bytes) {
  const auto byte = [&](std::size_t i) {
    return static_cast<unsigned char>(bytes[i]);
  };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t size = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    size = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    size = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    size = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (bytes.size() < size || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < size; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return size;
}

// `offset` is where `segment` starts in the address.
Status check_segment(std::string_view segment, std::size_t offset,
                     bool is_last) {
  if (segment.empty()) {
    if (is_last) {
      return bad("path", "trailing '/' " + at_byte(offset - 1) +
                             "; only the root may end in '/'");
    }
    return bad("path", "empty segment ('//') " + at_byte(offset));
  }
  if (segment == "." || segment == "..") {
    return bad("path", "segment " + quoted(segment) + " " + at_byte(offset) +
                           "; paths are normalized, without . or ..");
  }
  for (std::size_t i = 0; i < segment.size();) {
    const auto byte = static_cast<unsigned char>(segment[i]);
    if (byte < 0x20 || byte == 0x7f) {
      return bad("path", "control byte " + quoted(segment.substr(i, 1)) + " " +
                             at_byte(offset + i));
    }
    if (byte == '\\') {
      return bad("path",
                 "backslash " + at_byte(offset + i) + "; the separator is '/'");
    }
    const std::size_t size = utf8_sequence_bytes(segment.substr(i));
    if (size == 0) {
      return bad("path", "invalid UTF-8 " + at_byte(offset + i));
    }
    i += size;
  }
  return ok_status();
}

// `path` is non-empty, without the leading slash; `offset` is where it
// starts in the address.
Status check_path(std::string_view path, std::size_t offset) {
  std::size_t segments = 0;
  std::size_t start = 0;
  // Bounded: each pass consumes one segment and its '/'.
  while (true) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const bool is_last = end == path.size();
    if (Status s = check_segment(path.substr(start, end - start),
                                 offset + start, is_last);
        !s) {
      return s;
    }
    if (++segments > limits::ucxl_path_segments_max) {
      return over_limit("path",
                        "more than " +
                            std::to_string(limits::ucxl_path_segments_max) +
                            " path segments");
    }
    if (is_last) return ok_status();
    start = end + 1;
  }
}

// Parses what follows the authority's '/' (starting at `pos`): an optional
// temporal segment, then the path. Nothing left means the project root.
Status parse_temporal_and_path(std::string_view text, std::size_t pos,
                               UcxlAddress& out) {
  std::string_view rest = text.substr(pos);
  const std::size_t first_end = std::min(rest.find('/'), rest.size());
  const std::string_view first = rest.substr(0, first_end);
  if (looks_temporal(first)) {
    Result<Temporal> temporal = parse_temporal(first, pos);
    if (!temporal) return temporal.error();
    out.temporal = *temporal;
    pos += std::min(first_end + 1, rest.size());
    rest = text.substr(pos);
  }
  if (rest.empty()) return ok_status();
  if (Status s = check_path(rest, pos); !s) return s;
  out.path = rest;
  return ok_status();
}

}  // namespace

std::string Temporal::to_string() const {
  switch (kind) {
    case Kind::latest: return "*^";
    case Kind::any: return "*~";
    case Kind::version: return "*~" + std::to_string(n);
    case Kind::back: return "~~" + std::to_string(n);
    case Kind::forward: return "^^" + std::to_string(n);
  }
  return "*^";
}

std::string UcxlAddress::to_string() const {
  const std::string when = temporal.to_string();
  std::string text;
  text.reserve(kScheme.size() + agent.size() + role.size() + project.size() +
               task.size() + when.size() + path.size() + 5);
  text += kScheme;
  text += agent;
  text += ':';
  text += role;
  text += '@';
  text += project;
  text += ':';
  text += task;
  text += '/';
  text += when;
  text += '/';
  text += path;
  return text;
}

Result<UcxlAddress> parse_ucxl(std::string_view text) {
  constexpr std::size_t kMax = limits::ucxl_address_bytes_max;
  // Checked first so that the scans below are bounded by the limit.
  if (text.size() > kMax) {
    return over_limit("address", "address is " + std::to_string(text.size()) +
                                     " bytes; the limit is " +
                                     std::to_string(kMax));
  }
  if (!text.starts_with(kScheme)) return bad("scheme", scheme_reason(text));
  UcxlAddress address;
  const std::size_t authority_start = kScheme.size();
  const std::size_t authority_end =
      std::min(text.find('/', authority_start), text.size());
  if (Status s = parse_authority(
          text.substr(authority_start, authority_end - authority_start),
          authority_start, address);
      !s) {
    return s.error();
  }
  const std::size_t rest_start = std::min(authority_end + 1, text.size());
  if (Status s = parse_temporal_and_path(text, rest_start, address); !s) {
    return s.error();
  }
  // The canonical form is never shorter than the input and may be longer (a
  // short form gains "any:any@", ":any" and "/*^"). Holding it to the limit
  // too keeps parse_ucxl(a.to_string()) == a true for every accepted a.
  const std::size_t canonical_bytes = address.to_string().size();
  if (canonical_bytes > kMax) {
    return over_limit("address",
                      "canonical form is " + std::to_string(canonical_bytes) +
                          " bytes; the limit is " + std::to_string(kMax));
  }
  return address;
}

std::string canonical_list_prefix(std::string_view prefix) {
  if (auto parsed = parse_ucxl(prefix)) return parsed->to_string();
  if (prefix.size() > 1 && prefix.back() == '/') {
    if (auto dir = parse_ucxl(prefix.substr(0, prefix.size() - 1))) {
      return dir->to_string() + "/";
    }
  }
  return std::string(prefix);
}

}  // namespace slurp
