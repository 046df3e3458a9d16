#include "src/security/audit_resume.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "protocol/limits.h"

namespace slurp::security::audit {
namespace {

Error io_error(const std::string& what) {
  return make_error(ErrorCode::internal,
                    "audit log: " + what + ": " + std::strerror(errno));
}

struct Tail {
  std::uint64_t size = 0;        // after cutting a torn line
  std::uint64_t torn_bytes = 0;  // cut
  std::optional<std::string> last, before_last;
};

// The last two lines of the file, cutting an unterminated last line (a
// write a crash interrupted; its records were never reported durable).
Result<Tail> read_tail(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_error("fstat");
  Tail t;
  t.size = static_cast<std::uint64_t>(st.st_size);
  const std::uint64_t window =
      std::min<std::uint64_t>(t.size, 3 * limits::audit_record_bytes_max);
  std::string buf(window, '\0');
  if (window > 0 &&
      ::pread(fd, buf.data(), window, static_cast<off_t>(t.size - window)) !=
          static_cast<ssize_t>(window)) {
    return io_error("read");
  }
  if (!buf.empty() && buf.back() != '\n') {
    const std::size_t nl = buf.rfind('\n');
    // No newline in a whole window is not a torn record (it would be
    // shorter): leave it for the verifier to report.
    if (nl != std::string::npos || window == t.size) {
      const std::size_t keep = nl == std::string::npos ? 0 : nl + 1;
      t.torn_bytes = buf.size() - keep;
      t.size -= t.torn_bytes;
      buf.resize(keep);
      if (::ftruncate(fd, static_cast<off_t>(t.size)) != 0 ||
          ::fsync(fd) != 0) {
        return io_error("cutting a torn last line");
      }
    }
  }
  if (t.size == 0) return t;
  std::string_view text(buf);
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  // Lines are at most audit_record_bytes_max, so the window holds the last
  // two whole.
  const std::size_t nl = text.rfind('\n');
  t.last = std::string(text.substr(nl == std::string_view::npos ? 0 : nl + 1));
  if (nl != std::string_view::npos) {
    const std::string_view rest = text.substr(0, nl);
    const std::size_t nl2 = rest.rfind('\n');
    t.before_last =
        std::string(rest.substr(nl2 == std::string_view::npos ? 0 : nl2 + 1));
  }
  return t;
}

Result<std::uint64_t> count_lines(int fd) {
  std::uint64_t lines = 0;
  char buf[65536];
  off_t at = 0;
  while (true) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0) return io_error("read");
    if (n == 0) return lines;
    for (ssize_t i = 0; i < n; ++i) lines += buf[i] == '\n';
    at += n;
  }
}

ResumePlan new_chain(ResumePlan plan, std::string_view kind,
                     std::string reason) {
  plan.key.reset();
  plan.new_chain_kind = std::string(kind);
  plan.new_chain_reason = std::move(reason);
  return plan;
}

// The chain resumes under `stored` if it authenticates the last record.
ResumePlan resume_with_key(ResumePlan plan, const ParsedRecord& last,
                           const std::string& prev_mac, KeyState stored) {
  const bool sealed = last.kind == kEpochSealed;
  if (stored.epoch == last.epoch + 1 && sealed) {
    // The key evolved after the seal was written; the seal's key check
    // (the MAC needs the erased key) tells it is this log's next key.
    if (seal_key_check(last.detail) != key_check(stored.key)) {
      return new_chain(plan, kKeyLost,
                       "the stored key of epoch " +
                           std::to_string(stored.epoch) +
                           " is not the one the log's last seal names");
    }
    plan.key = stored;
    return plan;
  }
  if (stored.epoch > last.epoch) {
    return new_chain(plan, kKeyLost,
                     "the key state is at epoch " +
                         std::to_string(stored.epoch) +
                         " but the log's last record is of epoch " +
                         std::to_string(last.epoch));
  }
  if (last.epoch - stored.epoch > limits::audit_resume_epochs_max) {
    return new_chain(plan, kKeyLost,
                     "the key state is too far behind the log (epoch " +
                         std::to_string(stored.epoch) + ", log at " +
                         std::to_string(last.epoch) + ")");
  }
  plan.store_key = stored.epoch != last.epoch;
  while (stored.epoch < last.epoch) {
    Key next = next_epoch_key(stored.key);
    sodium_memzero(stored.key.data(), stored.key.size());
    stored.key = next;
    stored.epoch += 1;
  }
  if (hmac_hex(stored.key, prev_mac + "\n" + std::string(last.maced)) !=
      last.mac) {
    return new_chain(plan, kKeyLost,
                     "the stored key does not authenticate the last record "
                     "(seq " +
                         std::to_string(last.seq) + ")");
  }
  if (sealed) {  // the seal is durable, the evolved key was not stored
    Key next = next_epoch_key(stored.key);
    sodium_memzero(stored.key.data(), stored.key.size());
    stored.key = next;
    stored.epoch += 1;
    plan.store_key = true;
  } else {
    plan.epoch_records = 1;
  }
  plan.key = stored;
  return plan;
}

}  // namespace

Result<ResumePlan> plan_resume(int fd, const std::filesystem::path& key_file) {
  auto tail = read_tail(fd);
  if (!tail) return tail.error();
  ResumePlan plan;
  plan.file_bytes = tail->size;
  if (tail->torn_bytes > 0) {
    plan.torn_detail = std::to_string(tail->torn_bytes) +
                       " bytes of an unterminated last line were cut at "
                       "open (a write interrupted by a crash)";
  }
  std::string why;
  std::optional<KeyState> stored = load_key_state(key_file, why);
  if (!tail->last) {
    return new_chain(plan, kChainStarted,
                     stored ? "a new log; a key state of chain " +
                                  stored->chain + " existed without its log"
                            : "a new log");
  }
  auto last = parse_record(*tail->last, why);
  if (!last) {
    auto lines = count_lines(fd);
    if (!lines) return lines.error();
    plan.link.seq = *lines;  // the hash chain is broken there anyway
    return new_chain(plan, kKeyLost,
                     "the last line is not a record (" + why + ")");
  }
  plan.link = ChainLink{last->seq, last->hash, last->mac};
  plan.last_time_ms = last->time_ms;
  plan.last_epoch = last->epoch;
  if (!stored) return new_chain(plan, kKeyLost, "no key state: " + why);
  std::string prev_mac = kZeroHex;
  if (tail->before_last) {
    std::string ignored;
    auto before = parse_record(*tail->before_last, ignored);
    prev_mac = before ? before->mac : std::string();
  }
  return resume_with_key(plan, *last, prev_mac, *stored);
}

}  // namespace slurp::security::audit
