#include "src/security/audit_log.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

namespace slurp::security {
namespace {

const std::string kGenesis(64, '0');

std::string sha256_hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(
      digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch())
          .count());
}

Error io_error(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::internal,
                    what + " " + path + ": " + std::strerror(errno));
}

// Splits a record line into (body, hash); body is what the hash covers.
bool split_record(const std::string& line, std::string& body,
                  std::string& hash) {
  const std::string marker = ",\"hash\":\"";
  std::size_t at = line.rfind(marker);
  if (at == std::string::npos || line.size() != at + marker.size() + 64 + 2 ||
      line.compare(line.size() - 2, 2, "\"}") != 0) {
    return false;
  }
  body = line.substr(0, at);
  hash = line.substr(at + marker.size(), 64);
  return true;
}

struct ChainEnd {
  std::uint64_t seq = 0;
  std::string hash = kGenesis;
};

Result<ChainEnd> walk_chain(const std::string& path) {
  std::ifstream in(path);
  ChainEnd end;
  if (!in) return end;  // no file yet: an empty chain
  std::string line, body, hash;
  while (std::getline(in, line)) {
    const std::string where = path + ":" + std::to_string(end.seq + 1);
    if (!split_record(line, body, hash)) {
      return make_error(ErrorCode::internal,
                        where + ": malformed or torn audit record");
    }
    const std::string prev_field = "\"prev\":\"" + end.hash + "\"";
    if (body.find(prev_field) == std::string::npos ||
        sha256_hex(end.hash + "\n" + body) != hash) {
      return make_error(ErrorCode::internal,
                        where + ": audit hash chain broken");
    }
    end.seq += 1;
    end.hash = hash;
  }
  return end;
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path) {
  if (sodium_init() < 0) {
    return make_error(ErrorCode::internal, "libsodium failed to initialise");
  }
  auto end = walk_chain(path);
  if (!end) return end.error();
  int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot open audit log", path);
  return std::unique_ptr<AuditLog>(
      new AuditLog(fd, path, end->seq, std::move(end->hash)));
}

Result<std::uint64_t> AuditLog::verify(const std::string& path) {
  auto end = walk_chain(path);
  if (!end) return end.error();
  return end->seq;
}

AuditLog::AuditLog(int fd, std::string path, std::uint64_t seq,
                   std::string last_hash)
    : fd_(fd),
      path_(std::move(path)),
      seq_(seq),
      last_hash_(std::move(last_hash)) {}

AuditLog::~AuditLog() {
  ::close(fd_);
}

Status AuditLog::append(std::string_view kind, std::string_view actor,
                        std::string_view detail) {
  std::lock_guard lock(mutex_);
  const std::uint64_t seq = seq_ + 1;
  std::string body =
      "{\"seq\":" + std::to_string(seq) +
      ",\"time_ms\":" + std::to_string(now_ms()) +
      ",\"kind\":" + json_string(kind) + ",\"actor\":" + json_string(actor) +
      ",\"detail\":" + json_string(detail) + ",\"prev\":\"" + last_hash_ + "\"";
  std::string hash = sha256_hex(last_hash_ + "\n" + body);
  std::string line = body + ",\"hash\":\"" + hash + "\"}\n";
  // One write() per record: with O_APPEND it lands whole or, on a crash, as
  // a torn tail that verify() reports.
  ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    return io_error("cannot append to audit log", path_);
  }
  if (::fdatasync(fd_) != 0) return io_error("cannot sync audit log", path_);
  seq_ = seq;
  last_hash_ = std::move(hash);
  return ok_status();
}

std::uint64_t AuditLog::records() const {
  std::lock_guard lock(mutex_);
  return seq_;
}

}  // namespace slurp::security
