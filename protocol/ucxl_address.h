// UCXL addresses: the names of the files and directories slurp generates
// context for, e.g. `ucxl://any:developer@project:main/*^/src/main.go`.
// protocol/UCXL.md is the specification this file implements (grammar, short
// form, canonical form, error fields); keep the two in step.
//
// Everything here is pure (no I/O, no global state) and callable from any
// thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace slurp {

// Which version of the named file an address means.
struct Temporal {
  enum class Kind {
    latest,   // `*^`
    any,      // `*~`
    version,  // `*~N`, N >= 0
    back,     // `~~N`, N >= 1 versions before latest
    forward,  // `^^N`, N >= 1 versions after the current one
  };
  Kind kind = Kind::latest;
  // The version for `version`, the step count for `back` and `forward`;
  // always 0 for `latest` and `any`, so that defaulted == compares meaning.
  std::uint64_t n = 0;

  // The segment as written in the canonical form, e.g. "*^" or "~~2".
  std::string to_string() const;
  bool operator==(const Temporal&) const = default;
};

// A parsed address. Get one from parse_ucxl; fields of a parsed address
// always satisfy UCXL.md. "any" is the wildcard value of agent, role and task
// (and may be used as a project name too); it is stored as the text "any".
struct UcxlAddress {
  std::string agent = "any";
  std::string role = "any";
  std::string project;
  std::string task = "any";
  Temporal temporal;
  // Without a leading slash ("src/main.go"); empty for the project root.
  std::string path;

  // Canonical form: always the full form with the temporal segment written,
  // `ucxl://any:any@project:any/*^/src/main.go`; the root ends in `/*^/`.
  // parse_ucxl(a.to_string()) == a for every parsed address a.
  std::string to_string() const;
  bool is_root() const { return path.empty(); }
  bool operator==(const UcxlAddress&) const = default;
};

// Parses the full or the short form. On failure the error's code is
// bad_request (too_large when a limit is exceeded) and its field names the
// part at fault: "scheme", "agent", "role", "project", "task", "temporal",
// "path" or "address".
Result<UcxlAddress> parse_ucxl(std::string_view text);

// The form `list` and `export` compare stored addresses with: the
// canonical form of `prefix` when it parses as an address, and when it
// names a directory with a trailing '/' (`ucxl://project/src/`, which
// parse_ucxl refuses: only the root may end in '/'), the directory's
// canonical form followed by '/', so it matches what is inside that
// directory and not `src2`. Anything else is returned as written.
std::string canonical_list_prefix(std::string_view prefix);

}  // namespace slurp
