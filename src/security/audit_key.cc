#include "src/security/audit_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <vector>

namespace slurp::security::audit {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStateFormat = "slurp-audit-key/1";
constexpr std::string_view kVerifyFormat = "slurp-audit-verify-key/1";
constexpr std::size_t kKeyFileBytesMax = 512;

Error io_error(const std::string& what, const fs::path& path) {
  return make_error(ErrorCode::internal,
                    what + " " + path.string() + ": " + std::strerror(errno));
}

// The one line of a small key file, or nullopt with `why`.
std::optional<std::string> read_line(const fs::path& file, std::string& why) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    why = "cannot read " + file.string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string text(kKeyFileBytesMax + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kKeyFileBytesMax || text.empty() || text.back() != '\n') {
    why = file.string() + " is not a key file";
    return std::nullopt;
  }
  text.pop_back();
  return text;
}

// Writes `text` to a new file `path` with `mode`, fsynced.
Status write_synced(const fs::path& path, const std::string& text,
                    mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return io_error("cannot create", path);
  const bool ok = ::write(fd, text.data(), text.size()) ==
                      static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (!ok) return io_error("cannot write", path);
  return ok_status();
}

Status sync_dir(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(),
                  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory", dir);
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return io_error("cannot sync directory", dir);
  return ok_status();
}

// Zeroes the bytes of an open (already replaced) file.
void overwrite_with_zeros(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) return;
  std::vector<char> zeros(static_cast<std::size_t>(st.st_size), '\0');
  if (::pwrite(fd, zeros.data(), zeros.size(), 0) ==
      static_cast<ssize_t>(zeros.size())) {
    ::fdatasync(fd);
  }
}

std::optional<std::string> field(const std::vector<FlatField>& fields,
                                 std::string_view name, bool number) {
  for (const FlatField& f : fields) {
    if (f.name == name && f.is_number == number) return f.text;
  }
  return std::nullopt;
}

}  // namespace

std::optional<KeyState> load_key_state(const fs::path& file, std::string& why) {
  auto line = read_line(file, why);
  if (!line) return std::nullopt;
  std::vector<FlatField> fields;
  if (!parse_flat_object(*line, fields, why)) return std::nullopt;
  auto format = field(fields, "format", false);
  auto chain = field(fields, "chain", false);
  auto epoch = field(fields, "epoch", true);
  auto key_hex = field(fields, "key", false);
  std::optional<Key> key = key_hex ? key_from_hex(*key_hex) : std::nullopt;
  if (!format || *format != kStateFormat || !chain || !epoch || !key) {
    why = file.string() + " is not an audit key state file";
    return std::nullopt;
  }
  KeyState s;
  auto [end, ec] =
      std::from_chars(epoch->data(), epoch->data() + epoch->size(), s.epoch);
  if (ec != std::errc() || end != epoch->data() + epoch->size()) {
    why = file.string() + ": epoch out of range";
    return std::nullopt;
  }
  s.chain = *chain;
  s.key = *key;
  return s;
}

Status store_key_state(const fs::path& file, const KeyState& s) {
  const fs::path temp = file.string() + ".tmp";
  std::string text = "{\"format\":\"" + std::string(kStateFormat) +
                     "\",\"chain\":\"" + s.chain +
                     "\",\"epoch\":" + std::to_string(s.epoch) + ",\"key\":\"" +
                     to_hex(s.key) + "\"}\n";
  ::unlink(temp.c_str());  // a leftover of a crash
  Status written = write_synced(temp, text, 0600);
  sodium_memzero(text.data(), text.size());
  if (!written) return written;
  // Held open across the rename so its bytes can be zeroed afterwards.
  int old_fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (::rename(temp.c_str(), file.c_str()) != 0) {
    Error e = io_error("cannot rename to", file);
    if (old_fd >= 0) ::close(old_fd);
    return e;
  }
  Status synced = sync_dir(file.parent_path());
  if (old_fd >= 0) {
    overwrite_with_zeros(old_fd);
    ::close(old_fd);
  }
  return synced;
}

Result<fs::path> write_verify_key(const fs::path& dir, const VerifyKey& key) {
  fs::path file = dir / kVerifyKeyFileName;
  std::error_code ec;
  if (fs::exists(file, ec)) {
    file =
        dir / (std::string(kVerifyKeyFileName) + "." + key.chain.substr(0, 8));
  }
  std::string text = "{\"format\":\"" + std::string(kVerifyFormat) +
                     "\",\"chain\":\"" + key.chain + "\",\"key\":\"" +
                     to_hex(key.k0) + "\"}\n";
  ::unlink(file.c_str());  // only a same-chain leftover can be here
  Status written = write_synced(file, text, 0400);
  sodium_memzero(text.data(), text.size());
  if (!written) return written.error();
  if (Status s = sync_dir(dir); !s) return s.error();
  return file;
}

std::optional<VerifyKey> load_verify_key(const fs::path& file,
                                         std::string& why) {
  auto line = read_line(file, why);
  if (!line) return std::nullopt;
  std::vector<FlatField> fields;
  if (!parse_flat_object(*line, fields, why)) return std::nullopt;
  auto format = field(fields, "format", false);
  auto chain = field(fields, "chain", false);
  auto key_hex = field(fields, "key", false);
  std::optional<Key> key = key_hex ? key_from_hex(*key_hex) : std::nullopt;
  sodium_memzero(line->data(), line->size());
  if (!format || *format != kVerifyFormat || !chain || !key ||
      chain_id(*key) != *chain) {
    why = file.string() + " is not an audit verification key";
    return std::nullopt;
  }
  return VerifyKey{*chain, *key};
}

}  // namespace slurp::security::audit
