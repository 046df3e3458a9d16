#include "src/security/audit_verify.h"

#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>

#include "protocol/limits.h"

namespace slurp::security {
namespace {

using audit::ParsedRecord;

// Reads lines of at most audit_record_bytes_max without holding more.
class LineReader {
 public:
  explicit LineReader(std::FILE* f) : f_(f) {}
  // False at the end. `complete` is false for a last line without '\n';
  // `too_long` when the line exceeds the limit (its rest is skipped).
  bool next(std::string& line, bool& complete, bool& too_long) {
    line.clear();
    complete = false;
    too_long = false;
    int c;
    bool any = false;
    while ((c = std::fgetc(f_)) != EOF) {
      any = true;
      if (c == '\n') {
        complete = true;
        return true;
      }
      if (line.size() < limits::audit_record_bytes_max) {
        line += static_cast<char>(c);
      } else {
        too_long = true;
      }
    }
    return any;
  }

 private:
  std::FILE* f_;
};

struct Walk {
  AuditVerifyReport report;
  const std::vector<audit::VerifyKey>& keys;
  std::map<std::uint64_t, std::string> anchors;
  std::uint64_t line_no = 0;
  audit::ChainLink link;
  std::optional<ParsedRecord> prev;
  std::optional<audit::Key> key;  // of prev's epoch, if the chain is keyed
  std::uint64_t key_epoch = 0;

  bool fail(std::string why) {
    report.intact = false;
    report.bad_line = line_no;
    report.problem = std::move(why);
    return false;
  }

  // A chain's first record: its key, if given.
  bool start_chain(const ParsedRecord& r) {
    if (r.chain.empty() || r.epoch != 0) {
      return fail("a chain's first record must name its chain, at epoch 0");
    }
    AuditChainReport c;
    c.id = r.chain;
    c.started_by = r.kind;
    c.reason = r.detail;
    c.first_line = line_no;
    c.first_seq = r.seq;
    key.reset();
    for (const auto& k : keys) {
      if (k.chain == r.chain) key = k.k0;
    }
    key_epoch = 0;
    c.keyed = key.has_value();
    if (!report.chains.empty() && r.kind == audit::kKeyLost) {
      report.notes.push_back("line " + std::to_string(line_no) +
                             ": the key was lost and a new chain started (" +
                             r.detail +
                             "); the earlier chain's records after its last "
                             "seal could have been cut or rewritten by "
                             "whoever removed or replaced the key");
    }
    report.chains.push_back(std::move(c));
    return true;
  }

  bool check_epoch(const ParsedRecord& r) {
    if (!r.chain.empty()) return fail("only a chain's first record names it");
    const bool after_seal = prev->kind == audit::kEpochSealed;
    const std::uint64_t want = prev->epoch + (after_seal ? 1 : 0);
    if (r.epoch != want) {
      return fail("epoch " + std::to_string(r.epoch) + " where " +
                  std::to_string(want) +
                  (after_seal ? " must follow the seal of epoch " +
                                    std::to_string(prev->epoch)
                              : " was current (an epoch ends only with a "
                                "seal record)"));
    }
    if (key && r.epoch != key_epoch) {
      audit::Key next = audit::next_epoch_key(*key);
      sodium_memzero(key->data(), key->size());
      key = next;
      key_epoch = r.epoch;
      if (audit::seal_key_check(prev->detail) != audit::key_check(next)) {
        return fail("the seal before this record names another key");
      }
    }
    return true;
  }

  bool record(const ParsedRecord& r) {
    if (r.seq != link.seq + 1) {
      return fail("seq " + std::to_string(r.seq) + " where " +
                  std::to_string(link.seq + 1) +
                  " was expected: a record is missing or out of order");
    }
    if (r.prev != link.hash ||
        audit::sha256_hex(link.hash + "\n" + std::string(r.hashed)) != r.hash) {
      return fail(
          "the hash chain is broken: this record or the one before "
          "it was altered, or a record was removed here");
    }
    if (audit::starts_chain(r.kind) || !prev) {
      if (!audit::starts_chain(r.kind)) {
        return fail("the file does not begin with a chain's first record");
      }
      if (!start_chain(r)) return false;
    } else if (!check_epoch(r)) {
      return false;
    }
    if (key && audit::hmac_hex(*key, link.mac + "\n" + std::string(r.maced)) !=
                   r.mac) {
      return fail(
          "the MAC does not verify with the chain's key: the record "
          "was altered or forged");
    }
    if (auto a = anchors.find(r.seq); a != anchors.end()) {
      if (a->second != r.mac) {
        return fail("anchor mismatch at seq " + std::to_string(r.seq) +
                    ": the replicated log attests another record");
      }
      report.anchors_checked += 1;
    }
    AuditChainReport& c = report.chains.back();
    c.last_seq = r.seq;
    c.epoch_max = r.epoch;
    if (r.kind == audit::kEpochSealed) {
      c.last_seal_seq = r.seq;
      c.last_seal_epoch = r.epoch;
    }
    note(r);
    if (report.records == 0) report.first_time_ms = r.time_ms;
    report.last_time_ms = r.time_ms;
    report.records += 1;
    link = audit::ChainLink{r.seq, r.hash, r.mac};
    prev = r;
    return true;
  }

  void note(const ParsedRecord& r) {
    if (r.kind == audit::kDropped || r.kind == audit::kTornTail ||
        r.kind == audit::kKeyNotEvolved) {
      report.notes.push_back("line " + std::to_string(line_no) + ": " + r.kind +
                             ": " + r.detail);
    }
  }
};

std::string with_commas(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string utc(std::uint64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

Result<AuditVerifyReport> verify_audit_log(
    const std::string& path, const std::vector<audit::VerifyKey>& keys,
    const std::vector<AuditAnchor>& anchors) {
  if (sodium_init() < 0) {
    return make_error(ErrorCode::internal, "libsodium failed to initialise");
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    return make_error(ErrorCode::not_found,
                      "cannot read " + path + ": " + std::strerror(errno));
  }
  Walk w{AuditVerifyReport{}, keys, {}, 0, {}, {}, {}, 0};
  w.report.path = path;
  for (const auto& a : anchors) w.anchors[a.seq] = a.mac;
  LineReader reader(f);
  std::string line, why;
  bool complete = false, too_long = false;
  while (reader.next(line, complete, too_long)) {
    w.line_no += 1;
    if (too_long) {
      w.fail("longer than " + std::to_string(limits::audit_record_bytes_max) +
             " bytes: not a record");
      break;
    }
    if (!complete) {
      w.fail(
          "the last line is incomplete (a crash during a write, or a "
          "cut)");
      break;
    }
    auto r = audit::parse_record(line, why);
    if (!r) {
      w.fail("not a record: " + why);
      break;
    }
    if (!w.record(*r)) break;
  }
  std::fclose(f);
  if (w.key) sodium_memzero(w.key->data(), w.key->size());
  if (w.report.intact) {
    for (const auto& [seq, mac] : w.anchors) {
      if (seq > w.link.seq) {
        w.line_no += 1;
        w.fail("the file ends at seq " + std::to_string(w.link.seq) +
               " but an anchor attests seq " + std::to_string(seq) +
               ": records were cut from the tail");
        break;
      }
    }
    if (!w.anchors.empty()) w.report.anchor_seq_max = w.anchors.rbegin()->first;
  }
  for (const auto& k : keys) {
    bool used = false;
    for (const auto& c : w.report.chains) used = used || c.id == k.chain;
    if (!used) w.report.unused_keys.push_back(k.chain);
  }
  return w.report;
}

std::string describe(const AuditVerifyReport& r) {
  std::string out;
  if (!r.intact) {
    out += r.path + ":" + std::to_string(r.bad_line) +
           ": TAMPERING OR DAMAGE: " + r.problem + "\n";
    out += "Records before line " + std::to_string(r.bad_line) +
           " passed the checks below; nothing from this line on is "
           "trustworthy.\n";
  }
  out += r.path + ": " + with_commas(r.records) + " records";
  if (r.records > 0) {
    out += " (" + utc(r.first_time_ms) + " .. " + utc(r.last_time_ms) + ")";
  }
  out += ", " + std::to_string(r.chains.size()) +
         (r.chains.size() == 1 ? " chain" : " chains") +
         "; seq and the SHA-256 hash chain are continuous.\n";
  for (const AuditChainReport& c : r.chains) {
    out += "chain " + c.id + " (seq " + with_commas(c.first_seq) + ".." +
           with_commas(c.last_seq) + ", epochs 0.." +
           std::to_string(c.epoch_max) + ", started by " + c.started_by + "): ";
    if (!c.keyed) {
      out +=
          "no verification key given, STRUCTURE ONLY: someone with "
          "write access could have rewritten it and recomputed every "
          "hash.\n";
      continue;
    }
    out += "MACs verified with its verification key. ";
    if (c.last_seal_seq > 0) {
      out += "Records seq " + with_commas(c.first_seq) + ".." +
             with_commas(c.last_seal_seq) + " (epochs 0.." +
             std::to_string(c.last_seal_epoch) +
             ", sealed) are exactly as written: none altered, inserted, "
             "removed or reordered, by anyone. ";
    }
    if (c.last_seal_seq != c.last_seq) {
      out +=
          "Records of its last epoch " + std::to_string(c.epoch_max) +
          " (seq " +
          with_commas(c.last_seal_seq > 0 ? c.last_seal_seq + 1 : c.first_seq) +
          ".." + with_commas(c.last_seq) +
          ") are authentic unless someone held that epoch's key (the "
          "node's audit.key while it was current), who could have "
          "rewritten them.";
    }
    out += "\n";
  }
  for (const auto& n : r.notes) out += "note: " + n + "\n";
  for (const auto& k : r.unused_keys) {
    out += "note: no chain in the file uses the key of chain " + k + "\n";
  }
  if (r.intact) {
    out +=
        "Tail: anyone with write access could have cut records after "
        "seq " +
        with_commas(r.records == 0 ? 0 : r.chains.back().last_seq) +
        " (cutting needs no key)";
    if (r.anchors_checked > 0) {
      out += "; " + std::to_string(r.anchors_checked) +
             " anchors from the replicated log match, so nothing up to seq " +
             with_commas(r.anchor_seq_max) + " was cut";
    } else {
      out += "; no anchor given";
    }
    out += ".\n";
  }
  return out;
}

}  // namespace slurp::security
