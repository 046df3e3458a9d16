#include "bus/authorized_keys.h"

#include <array>

#include "bus/config_file.h"
#include "bus/curve_keys.h"
#include "protocol/limits.h"

namespace slurp::bus {

namespace {

constexpr std::string_view blanks = " \t";

// Splits on blanks into at most `tokens.size()` tokens; returns how many
// there were, counting one past the array when there are more.
template <std::size_t N>
std::size_t split_fields(std::string_view line,
                         std::array<std::string_view, N>& tokens) {
  std::size_t count = 0;
  while (true) {
    std::size_t begin = line.find_first_not_of(blanks);
    if (begin == std::string_view::npos) return count;
    line.remove_prefix(begin);
    if (count == N) return N + 1;
    std::size_t end = line.find_first_of(blanks);
    tokens[count++] = line.substr(0, end);
    line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  }
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > limits::key_name_bytes_max) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Quoted back to a human in an error: printable ASCII only, bounded.
std::string shown(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, 80)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > 80) out += "...";
  return out + "'";
}

struct ParsedLine {
  std::string raw_key;
  KeyEntry entry;
};

// One non-blank, non-comment line; the error reason has no location.
Result<ParsedLine> parse_line(std::string_view line) {
  std::array<std::string_view, 3> fields;
  std::size_t count = split_fields(line, fields);
  if (count != 3) {
    return make_error(
        ErrorCode::bad_request,
        "expected '<z85-public-key> <name> <role>', got " +
            (count > 3 ? std::string("more than 3") : std::to_string(count)) +
            " fields");
  }
  std::optional<std::string> raw_key = z85_key_to_raw(fields[0]);
  if (!raw_key) {
    return make_error(ErrorCode::bad_request,
                      "bad public key " + shown(fields[0]) +
                          ": not a 40-character Z85 CURVE key");
  }
  if (!is_valid_name(fields[1])) {
    return make_error(ErrorCode::bad_request,
                      "bad name " + shown(fields[1]) + ": use 1-" +
                          std::to_string(limits::key_name_bytes_max) +
                          " characters of A-Z a-z 0-9 . _ -");
  }
  std::optional<Role> role = role_from_name(fields[2]);
  if (!role) {
    return make_error(ErrorCode::bad_request,
                      "unknown role " + shown(fields[2]) +
                          " (expected observer, developer, worker, node or "
                          "admin)");
  }
  return ParsedLine{std::move(*raw_key),
                    KeyEntry{std::string(fields[1]), *role}};
}

}  // namespace

std::optional<KeyEntry> AuthorizedKeys::find(
    std::string_view public_key) const {
  std::string raw;
  if (public_key.size() == curve_key_raw_bytes) {
    raw = public_key;
  } else if (std::optional<std::string> decoded = z85_key_to_raw(public_key)) {
    raw = std::move(*decoded);
  } else {
    return std::nullopt;
  }
  auto found = by_raw_key_.find(raw);
  if (found == by_raw_key_.end()) return std::nullopt;
  return found->second;
}

Result<AuthorizedKeys> parse_authorized_keys(std::string_view text,
                                             std::string_view source_name) {
  std::string source(source_name);
  if (text.size() > limits::authorized_keys_file_bytes_max) {
    return make_error(
        ErrorCode::too_large,
        "over " + std::to_string(limits::authorized_keys_file_bytes_max) +
            " bytes",
        source);
  }
  AuthorizedKeys keys;
  std::unordered_map<std::string, std::size_t> key_lines;   // raw key -> line
  std::unordered_map<std::string, std::size_t> name_lines;  // name -> line
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size()
                                                         : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t first = line.find_first_not_of(blanks);
    if (first == std::string_view::npos || line[first] == '#') continue;

    std::string where = source + ":" + std::to_string(line_number);
    Result<ParsedLine> parsed = parse_line(line);
    if (!parsed)
      return make_error(parsed.error().code, parsed.error().reason, where);
    if (auto [it, fresh] = key_lines.emplace(parsed->raw_key, line_number);
        !fresh) {
      return make_error(
          ErrorCode::bad_request,
          "duplicate key (already on line " + std::to_string(it->second) + ")",
          where);
    }
    if (auto [it, fresh] = name_lines.emplace(parsed->entry.name, line_number);
        !fresh) {
      return make_error(ErrorCode::bad_request,
                        "duplicate name " + shown(parsed->entry.name) +
                            " (already on line " + std::to_string(it->second) +
                            ")",
                        where);
    }
    if (keys.by_raw_key_.size() == limits::authorized_keys_max) {
      return make_error(
          ErrorCode::too_large,
          "more than " + std::to_string(limits::authorized_keys_max) + " keys",
          where);
    }
    keys.by_raw_key_.emplace(std::move(parsed->raw_key),
                             std::move(parsed->entry));
  }
  return keys;
}

Result<AuthorizedKeys> load_authorized_keys(const std::filesystem::path& path) {
  Result<std::string> text = read_config_file(
      path, {limits::authorized_keys_file_bytes_max, 022, 0644});
  if (!text) return text.error();
  return parse_authorized_keys(*text, path.string());
}

}  // namespace slurp::bus
