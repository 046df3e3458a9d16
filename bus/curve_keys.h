// CurveZMQ key pairs and the key files that hold them.
//
// File format (one key per file, text):
//   # <comment lines start with '#'>
//   <40-character Z85 key>
// `<name>.pub` holds the public key (mode 0644); `<name>.key` holds the
// secret key (mode 0600, refused when group or others may read or write it).
// The secret file holds only the secret: the public half is derived from it.
//
// Free functions; any thread may call them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace slurp::bus {

inline constexpr std::size_t curve_key_raw_bytes = 32;
inline constexpr std::size_t curve_key_z85_bytes = 40;

struct CurveKeyPair {
  std::string public_z85;  // 40 Z85 characters
  std::string secret_z85;  // 40 Z85 characters
};

// A fresh pair from libzmq (libsodium underneath). Fails only when libzmq
// was built without CURVE.
Result<CurveKeyPair> generate_curve_keypair();

// The 32 raw bytes of a Z85 key, or nullopt when `z85` is not exactly 40
// characters of canonical Z85 (decoding and re-encoding gives it back).
std::optional<std::string> z85_key_to_raw(std::string_view z85);
// `raw` must be 32 bytes (asserted).
std::string raw_key_to_z85(std::string_view raw);

// Writes `<dir>/<basename>.key` (0600) and `<dir>/<basename>.pub` (0644).
// Never overwrites: if either exists the call fails with conflict and
// creates nothing. `basename` must be a plain file name (no '/').
Status write_keypair(const CurveKeyPair& pair, const std::filesystem::path& dir,
                     std::string_view basename);

// The Z85 key in a public key file.
Result<std::string> load_public_key(const std::filesystem::path& path);
// The Z85 key in a secret key file. Refuses non-regular files and files
// with any of the mode bits 077 set (the error names the chmod to run).
Result<std::string> load_secret_key(const std::filesystem::path& path);
// The secret key and its public half derived with zmq_curve_public. If the
// secret path ends in ".key" and a sibling ".pub" exists, it must hold that
// same public key, so a mismatched pair is caught at startup.
Result<CurveKeyPair> load_keypair(const std::filesystem::path& secret_path);

}  // namespace slurp::bus
