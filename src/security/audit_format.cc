#include "src/security/audit_format.h"

#include <sodium.h>

#include <charconv>

#include "protocol/limits.h"
#include "protocol/printable.h"

namespace slurp::security::audit {
namespace {

std::string bin_to_hex(const unsigned char* data, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), data, size);
  hex.pop_back();
  return hex;
}

bool is_lower_hex(std::string_view text, std::size_t digits) {
  if (text.size() != digits) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The JSON string at line[at] (at the opening quote). Only the escapes of
// a quote and of a backslash are accepted: all json_field writes.
bool read_string(std::string_view line, std::size_t& at, std::string& out,
                 std::string& why) {
  if (at >= line.size() || line[at] != '"') {
    why = "expected a string";
    return false;
  }
  ++at;
  out.clear();
  while (at < line.size()) {
    const char c = line[at++];
    if (c == '"') return true;
    if (static_cast<unsigned char>(c) < 0x20) {
      why = "control byte in a string";
      return false;
    }
    if (c == '\\') {
      if (at >= line.size() || (line[at] != '"' && line[at] != '\\')) {
        why = "escape the writer does not use";
        return false;
      }
      out += line[at++];
    } else {
      out += c;
    }
  }
  why = "unterminated string";
  return false;
}

bool read_number(std::string_view line, std::size_t& at, std::string& out,
                 std::string& why) {
  const std::size_t start = at;
  while (at < line.size() && line[at] >= '0' && line[at] <= '9') ++at;
  out = std::string(line.substr(start, at - start));
  if (out.empty() || out.size() > 20 || (out.size() > 1 && out[0] == '0')) {
    why = "bad number";
    return false;
  }
  return true;
}

std::optional<std::uint64_t> to_u64(const std::string& digits) {
  std::uint64_t v = 0;
  auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

bool starts_chain(std::string_view kind) {
  return kind == kChainStarted || kind == kKeyLost;
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(
      digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return bin_to_hex(digest, sizeof digest);
}

std::string hmac_hex(const Key& key, std::string_view text) {
  static_assert(crypto_auth_hmacsha256_KEYBYTES == 32);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac,
                         reinterpret_cast<const unsigned char*>(text.data()),
                         text.size(), key.data());
  return bin_to_hex(mac, sizeof mac);
}

Key next_epoch_key(const Key& key) {
  static constexpr std::string_view kLabel = "slurp-audit-epoch";
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(
      &state, reinterpret_cast<const unsigned char*>(kLabel.data()),
      kLabel.size());
  crypto_hash_sha256_update(&state, key.data(), key.size());
  Key next;
  crypto_hash_sha256_final(&state, next.data());
  sodium_memzero(&state, sizeof state);
  return next;
}

std::string chain_id(const Key& k0) {
  std::string text = "slurp-audit-chain";
  text.append(reinterpret_cast<const char*>(k0.data()), k0.size());
  std::string id = sha256_hex(text).substr(0, 32);
  sodium_memzero(text.data(), text.size());
  return id;
}

std::string key_check(const Key& key) {
  std::string text = "slurp-audit-check";
  text.append(reinterpret_cast<const char*>(key.data()), key.size());
  std::string check = sha256_hex(text).substr(0, 16);
  sodium_memzero(text.data(), text.size());
  return check;
}

std::string seal_detail(std::uint64_t epoch, std::uint64_t records,
                        const Key& next_key) {
  return "epoch " + std::to_string(epoch) + " ends after " +
         std::to_string(records) + " records; the next is " +
         std::to_string(epoch + 1) + ", key check " + key_check(next_key);
}

std::string seal_key_check(std::string_view detail) {
  static constexpr std::string_view kMarker = ", key check ";
  const std::size_t at = detail.rfind(kMarker);
  if (at == std::string_view::npos) return {};
  return std::string(detail.substr(at + kMarker.size()));
}

std::string to_hex(const Key& key) {
  return bin_to_hex(key.data(), key.size());
}

std::optional<Key> key_from_hex(std::string_view hex) {
  if (!is_lower_hex(hex, 64)) return std::nullopt;
  Key key;
  std::size_t bin_len = 0;
  if (sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr,
                     &bin_len, nullptr) != 0 ||
      bin_len != key.size()) {
    return std::nullopt;
  }
  return key;
}

Key random_key() {
  Key key;
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string json_field(std::string_view text, std::size_t bytes_max) {
  const std::string printable = printable_prefix(text, bytes_max);
  std::string out = "\"";
  out.reserve(printable.size() + 8);
  for (char c : printable) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string record_fields(std::uint64_t time_ms, std::string_view kind,
                          std::string_view actor, std::string_view detail) {
  return "\"time_ms\":" + std::to_string(time_ms) +
         ",\"kind\":" + json_field(kind, limits::audit_kind_bytes_max) +
         ",\"actor\":" + json_field(actor, limits::audit_actor_bytes_max) +
         ",\"detail\":" + json_field(detail, limits::audit_detail_bytes_max);
}

std::string chain_record(ChainLink& link, std::string_view fields,
                         std::string_view chain, std::uint64_t epoch,
                         const Key& key) {
  const std::uint64_t seq = link.seq + 1;
  std::string line = "{\"seq\":" + std::to_string(seq) + ",";
  line += fields;
  if (!chain.empty()) {
    line += ",\"chain\":\"";
    line += chain;
    line += "\"";
  }
  line +=
      ",\"epoch\":" + std::to_string(epoch) + ",\"prev\":\"" + link.hash + "\"";
  std::string hash = sha256_hex(link.hash + "\n" + line);
  line += ",\"hash\":\"" + hash + "\"";
  std::string mac = hmac_hex(key, link.mac + "\n" + line);
  line += ",\"mac\":\"" + mac + "\"}\n";
  link.seq = seq;
  link.hash = std::move(hash);
  link.mac = std::move(mac);
  return line;
}

bool parse_flat_object(std::string_view line, std::vector<FlatField>& fields,
                       std::string& why) {
  fields.clear();
  if (line.size() < 2 || line.front() != '{' || line.back() != '}') {
    why = "not a JSON object on one line";
    return false;
  }
  std::size_t at = 1;
  while (true) {
    FlatField f;
    if (!read_string(line, at, f.name, why)) return false;
    if (at >= line.size() || line[at] != ':') {
      why = "expected ':'";
      return false;
    }
    ++at;
    if (at < line.size() && line[at] == '"') {
      if (!read_string(line, at, f.text, why)) return false;
    } else {
      if (!read_number(line, at, f.text, why)) return false;
      f.is_number = true;
    }
    f.end = at;
    fields.push_back(std::move(f));
    if (at < line.size() && line[at] == ',') {
      ++at;
      continue;
    }
    if (at + 1 == line.size() && line[at] == '}') return true;
    why = "expected ',' or '}'";
    return false;
  }
}

std::optional<ParsedRecord> parse_record(std::string_view line,
                                         std::string& why) {
  if (!is_valid_utf8(line)) {
    why = "invalid UTF-8";
    return std::nullopt;
  }
  std::vector<FlatField> fields;
  if (!parse_flat_object(line, fields, why)) return std::nullopt;
  const bool has_chain = fields.size() == 10;
  if (fields.size() != 9 && !has_chain) {
    why = "wrong number of fields";
    return std::nullopt;
  }
  static const char* const kNames[] = {"seq",    "time_ms", "kind",  "actor",
                                       "detail", "chain",   "epoch", "prev",
                                       "hash",   "mac"};
  ParsedRecord r;
  std::size_t i = 0;
  for (const char* name : kNames) {
    if (std::string_view(name) == "chain" && !has_chain) continue;
    const FlatField& f = fields[i++];
    const bool numeric = std::string_view(name) == "seq" ||
                         std::string_view(name) == "time_ms" ||
                         std::string_view(name) == "epoch";
    if (f.name != name || f.is_number != numeric) {
      why = std::string("expected field \"") + name + "\"";
      return std::nullopt;
    }
  }
  auto seq = to_u64(fields[0].text);
  auto time_ms = to_u64(fields[1].text);
  const std::size_t e = has_chain ? 6 : 5;
  auto epoch = to_u64(fields[e].text);
  if (!seq || !time_ms || !epoch) {
    why = "number out of range";
    return std::nullopt;
  }
  r.seq = *seq;
  r.time_ms = *time_ms;
  r.epoch = *epoch;
  r.kind = fields[2].text;
  r.actor = fields[3].text;
  r.detail = fields[4].text;
  if (has_chain) r.chain = fields[5].text;
  r.prev = fields[e + 1].text;
  r.hash = fields[e + 2].text;
  r.mac = fields[e + 3].text;
  if (!is_lower_hex(r.prev, 64) || !is_lower_hex(r.hash, 64) ||
      !is_lower_hex(r.mac, 64) || (has_chain && !is_lower_hex(r.chain, 32))) {
    why = "a digest is not lowercase hex of the right length";
    return std::nullopt;
  }
  r.hashed = line.substr(0, fields[e + 1].end);
  r.maced = line.substr(0, fields[e + 2].end);
  return r;
}

}  // namespace slurp::security::audit
