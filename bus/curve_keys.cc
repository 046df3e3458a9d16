#include "bus/curve_keys.h"

#include <unistd.h>
#include <zmq.h>

#include <cassert>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bus/config_file.h"
#include "protocol/limits.h"

namespace slurp::bus {

namespace {

constexpr mode_t secret_key_mode = 0600;
constexpr mode_t public_key_mode = 0644;

std::string_view trim(std::string_view text) {
  constexpr std::string_view blanks = " \t\r";
  std::size_t begin = text.find_first_not_of(blanks);
  if (begin == std::string_view::npos) return {};
  std::size_t end = text.find_last_not_of(blanks);
  return text.substr(begin, end - begin + 1);
}

// Exactly one non-comment line, holding a valid Z85 key.
Result<std::string> parse_key_file(const std::filesystem::path& path,
                                   std::string_view content) {
  std::optional<std::string_view> key;
  std::size_t line_number = 0;
  while (!content.empty()) {
    ++line_number;
    std::size_t newline = content.find('\n');
    std::string_view line = trim(content.substr(0, newline));
    content.remove_prefix(newline == std::string_view::npos ? content.size()
                                                            : newline + 1);
    if (line.empty() || line.front() == '#') continue;
    std::string where = path.string() + ":" + std::to_string(line_number);
    if (key) {
      return make_error(ErrorCode::bad_request,
                        "a key file holds exactly one key line", where);
    }
    if (!z85_key_to_raw(line)) {
      return make_error(ErrorCode::bad_request,
                        "not a 40-character Z85 CURVE key", where);
    }
    key = line;
  }
  if (!key) {
    return make_error(ErrorCode::bad_request, "no key line in file",
                      path.string());
  }
  return std::string(*key);
}

std::string key_file_text(std::string_view comment, std::string_view key) {
  std::string text = "# ";
  text += comment;
  text += "\n";
  text += key;
  text += "\n";
  return text;
}

bool is_plain_file_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

Result<CurveKeyPair> generate_curve_keypair() {
  char public_z85[curve_key_z85_bytes + 1];
  char secret_z85[curve_key_z85_bytes + 1];
  if (zmq_curve_keypair(public_z85, secret_z85) != 0) {
    return make_error(ErrorCode::internal,
                      std::string("zmq_curve_keypair: ") + zmq_strerror(errno));
  }
  return CurveKeyPair{public_z85, secret_z85};
}

std::optional<std::string> z85_key_to_raw(std::string_view z85) {
  if (z85.size() != curve_key_z85_bytes) return std::nullopt;
  std::string terminated(z85);  // zmq_z85_decode wants a C string
  if (terminated.find('\0') != std::string::npos) return std::nullopt;
  std::uint8_t raw[curve_key_raw_bytes];
  if (zmq_z85_decode(raw, terminated.c_str()) == nullptr) return std::nullopt;
  // Z85 digits can encode values over 2^32 per 5-char group; only a key that
  // re-encodes to the same text is canonical, so one key has one spelling
  // (duplicate detection in authorized_keys relies on that).
  std::string again = raw_key_to_z85(
      std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
  if (again != z85) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(raw), sizeof raw);
}

std::string raw_key_to_z85(std::string_view raw) {
  assert(raw.size() == curve_key_raw_bytes);
  char z85[curve_key_z85_bytes + 1];
  char* encoded = zmq_z85_encode(
      z85, reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
  assert(encoded != nullptr);  // 32 is a multiple of 4: cannot fail
  (void)encoded;
  return std::string(z85, curve_key_z85_bytes);
}

Status write_keypair(const CurveKeyPair& pair, const std::filesystem::path& dir,
                     std::string_view basename) {
  if (!is_plain_file_name(basename)) {
    return make_error(ErrorCode::bad_request,
                      "key basename must be a plain file name", "basename");
  }
  if (!z85_key_to_raw(pair.public_z85) || !z85_key_to_raw(pair.secret_z85)) {
    return make_error(ErrorCode::bad_request, "key pair is not valid Z85");
  }
  std::filesystem::path secret_path = dir / (std::string(basename) + ".key");
  std::filesystem::path public_path = dir / (std::string(basename) + ".pub");
  // Checked up front so a stale .pub does not leave a fresh orphan .key
  // behind; O_EXCL below still decides any race.
  std::error_code ignored;
  if (std::filesystem::exists(
          std::filesystem::symlink_status(public_path, ignored))) {
    return make_error(ErrorCode::conflict,
                      "already exists; refusing to overwrite it",
                      public_path.string());
  }
  Status secret = write_new_file(
      secret_path,
      key_file_text("slurp CURVE secret key (Z85). Keep it private: mode 0600.",
                    pair.secret_z85),
      secret_key_mode);
  if (!secret) return secret;
  Status public_written = write_new_file(
      public_path,
      key_file_text("slurp CURVE public key (Z85). Share it freely.",
                    pair.public_z85),
      public_key_mode);
  if (!public_written) {
    ::unlink(secret_path.c_str());  // a .key without its .pub is half a pair
    return public_written;
  }
  return sync_directory(dir);
}

Result<std::string> load_public_key(const std::filesystem::path& path) {
  // A public key is not secret, but a key file others can rewrite lets them
  // choose whom this node trusts as the server: refuse write bits for them.
  Result<std::string> content =
      read_config_file(path, {limits::key_file_bytes_max, 022, 0644});
  if (!content) return content.error();
  return parse_key_file(path, *content);
}

Result<std::string> load_secret_key(const std::filesystem::path& path) {
  Result<std::string> content =
      read_config_file(path, {limits::key_file_bytes_max, 077, 0600});
  if (!content) return content.error();
  return parse_key_file(path, *content);
}

Result<CurveKeyPair> load_keypair(const std::filesystem::path& secret_path) {
  Result<std::string> secret = load_secret_key(secret_path);
  if (!secret) return secret.error();
  char public_z85[curve_key_z85_bytes + 1];
  if (zmq_curve_public(public_z85, secret->c_str()) != 0) {
    return make_error(ErrorCode::internal,
                      std::string("zmq_curve_public: ") + zmq_strerror(errno),
                      secret_path.string());
  }
  CurveKeyPair pair{public_z85, std::move(*secret)};
  if (secret_path.extension() != ".key") return pair;
  std::filesystem::path public_path = secret_path;
  public_path.replace_extension(".pub");
  std::error_code ignored;
  if (!std::filesystem::exists(public_path, ignored)) return pair;
  Result<std::string> stored = load_public_key(public_path);
  if (!stored) return stored.error();
  if (*stored != pair.public_z85) {
    return make_error(
        ErrorCode::bad_request,
        "public key does not belong to secret key " + secret_path.string(),
        public_path.string());
  }
  return pair;
}

}  // namespace slurp::bus
