// The authorized-keys table: which CURVE public keys may connect, under what
// name and with what role.
//
// File format (text, one entry per line; blank lines and lines whose first
// non-blank character is '#' are ignored):
//   <z85-public-key> <name> <role>
// separated by spaces or tabs. name is 1..key_name_bytes_max characters of
// [A-Za-z0-9._-]; role is one of observer, developer, worker, node, admin.
// Keys and names are unique. Errors name the source and line:
//   "bad_request: authorized_keys:7: unknown role 'boss' ..."
//
// An AuthorizedKeys is immutable once parsed, so any number of threads may
// call find() on one instance at once.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocol/limits.h"
#include "protocol/result.h"
#include "protocol/role.h"

namespace slurp::bus {

struct KeyEntry {
  std::string name;
  Role role = Role::observer;
};

class AuthorizedKeys {
 public:
  AuthorizedKeys() = default;  // admits nobody

  // `public_key` is either 32 raw bytes or 40 Z85 characters.
  std::optional<KeyEntry> find(std::string_view public_key) const;
  std::size_t size() const { return by_raw_key_.size(); }

 private:
  friend Result<AuthorizedKeys> parse_authorized_keys(
      std::string_view text, std::string_view source_name);

  std::unordered_map<std::string, KeyEntry> by_raw_key_;
};

// `source_name` prefixes error locations ("authorized_keys:7").
Result<AuthorizedKeys> parse_authorized_keys(std::string_view text,
                                             std::string_view source_name);

// Reads and parses the file. Refuses it when group or others may write it
// (they could add their own key) and when it is over
// limits::authorized_keys_file_bytes_max.
Result<AuthorizedKeys> load_authorized_keys(const std::filesystem::path& path);

}  // namespace slurp::bus
