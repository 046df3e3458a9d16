// Tampering with the audit log (issue 12, item 9): what someone with write
// access to the file can and cannot do undetected, key evolution, and
// restarts that resume, evolve forward or start a new chain.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "src/security/audit_log.h"
#include "tests/node/audit_test_support.h"
#include "tests/support/temp_dir.h"

namespace slurp::security {
namespace {

namespace fs = std::filesystem;
using namespace testing_audit;
using slurp::testing::TempDir;

constexpr std::uint64_t kFlushMs = 10000;

// A log of a chain start and `n` records, epochs of 4 records each.
AuditHead write_log(const fs::path& path, int n) {
  AuditLog::Options o;
  o.epoch_records_max = 4;
  auto log = AuditLog::open(path.string(), o);
  REQUIRE(log.ok());
  for (int i = 0; i < n; ++i) {
    REQUIRE(
        (*log)->append("request.rejected", "mallory", std::to_string(i)).ok());
    // One batch per record, so epochs end between records.
    REQUIRE((*log)->flush(kFlushMs).ok());
  }
  return (*log)->head();
}

TEST_CASE("an untouched log verifies, epochs sealed", "[audit][tamper]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  write_log(path, 20);
  auto report = verify(path, verify_keys(dir.path()));
  CHECK(report.intact);
  REQUIRE(report.chains.size() == 1);
  CHECK(report.chains[0].epoch_max >= 4);
  CHECK(report.chains[0].last_seal_seq > 0);
  const std::string text = describe(report);
  CHECK(text.find("MACs verified") != std::string::npos);
  CHECK(text.find("exactly as written") != std::string::npos);
  auto plain = verify(path, {});
  CHECK(plain.intact);
  CHECK(describe(plain).find("STRUCTURE ONLY") != std::string::npos);
}

TEST_CASE("an edited detail with a recomputed hash chain fails the MAC",
          "[audit][tamper]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  write_log(path, 10);
  auto lines = read_lines(path);
  const auto at = lines[3].find("\"detail\":\"");
  lines[3].replace(at, 11, "\"detail\":\"forged ");
  write_lines(path, rechain(lines));
  CHECK(verify(path, {}).intact);  // structure alone cannot tell
  auto report = verify(path, verify_keys(dir.path()));
  CHECK_FALSE(report.intact);
  CHECK(report.bad_line == 4);
  CHECK(report.problem.find("MAC") != std::string::npos);
}

TEST_CASE("a deleted middle record fails, even renumbered and rechained",
          "[audit][tamper]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  write_log(path, 10);
  auto lines = read_lines(path);
  lines.erase(lines.begin() + 5);
  write_lines(path, lines);
  auto gap = verify(path, {});
  CHECK_FALSE(gap.intact);
  CHECK(gap.bad_line == 6);
  write_lines(path, rechain(lines));
  auto report = verify(path, verify_keys(dir.path()));
  CHECK_FALSE(report.intact);
  CHECK(report.bad_line == 6);
}

TEST_CASE("swapped records fail", "[audit][tamper]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  write_log(path, 10);
  auto lines = read_lines(path);
  std::swap(lines[2], lines[3]);
  write_lines(path, lines);
  CHECK_FALSE(verify(path, {}).intact);
  write_lines(path, rechain(lines));
  auto report = verify(path, verify_keys(dir.path()));
  CHECK_FALSE(report.intact);
  CHECK(report.bad_line == 3);
}

TEST_CASE("a cut tail passes alone and fails against an anchor",
          "[audit][tamper]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  const AuditHead head = write_log(path, 10);
  auto lines = read_lines(path);
  const auto records = parse_all(lines);
  // head() was the last durable record before closing sealed the epoch.
  REQUIRE(records[records.size() - 2].seq == head.seq);
  REQUIRE(records[records.size() - 2].mac == head.mac_hex);
  CHECK(records.back().kind == audit::kEpochSealed);
  const std::vector<AuditAnchor> anchors = {{head.seq, head.mac_hex}};
  CHECK(verify(path, verify_keys(dir.path()), anchors).intact);
  lines.resize(lines.size() - 3);
  write_lines(path, lines);
  CHECK(verify(path, verify_keys(dir.path())).intact);
  auto report = verify(path, verify_keys(dir.path()), anchors);
  CHECK_FALSE(report.intact);
  CHECK(report.problem.find("cut from the tail") != std::string::npos);
  // An anchor whose mac differs from the file's record fails too.
  auto wrong = verify(path, verify_keys(dir.path()), {{3, audit::kZeroHex}});
  CHECK_FALSE(wrong.intact);
  CHECK(wrong.bad_line == 3);
}

TEST_CASE("evolution leaves only the current key on disk", "[audit][key]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  const AuditHead head = write_log(path, 10);
  REQUIRE(head.epoch >= 2);
  std::string why;
  auto state = audit::load_key_state(dir / "audit.key", why);
  REQUIRE(state);
  auto k0 = verify_keys(dir.path()).at(0).k0;
  audit::Key expected = k0;
  for (std::uint64_t e = 0; e < state->epoch; ++e) {
    expected = audit::next_epoch_key(expected);
  }
  CHECK(state->key == expected);
  CHECK(state->key != k0);
  CHECK(state->epoch == head.epoch + 1);  // closing sealed the last epoch
  CHECK_FALSE(fs::exists(dir / "audit.key.tmp"));
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  CHECK(files == 3);  // audit.log, audit.key, audit.verify-key
}

TEST_CASE("a restart resumes the chain; a key behind the log is evolved",
          "[audit][key]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  write_log(path, 2);
  const fs::path saved = dir / "saved.key";
  fs::copy_file(dir / "audit.key", saved);
  write_log(path, 9);  // several epochs on
  fs::remove(dir / "audit.key");
  fs::copy_file(saved, dir / "audit.key");  // as after a crash, behind
  fs::remove(saved);
  write_log(path, 3);
  auto report = verify(path, verify_keys(dir.path()));
  CHECK(report.intact);
  CHECK(report.chains.size() == 1);
  CHECK(report.records >= 15);
}

TEST_CASE("a lost key starts a new chain that says so", "[audit][key]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  write_log(path, 3);
  fs::remove(dir / "audit.key");
  write_log(path, 2);
  auto records = parse_all(read_lines(path));
  std::size_t lost = 0;
  for (const auto& r : records) lost += r.kind == audit::kKeyLost;
  CHECK(lost == 1);
  auto keys = verify_keys(dir.path());
  REQUIRE(keys.size() == 2);  // audit.verify-key and audit.verify-key.<id>
  auto report = verify(path, keys);
  CHECK(report.intact);
  CHECK(report.chains.size() == 2);
  CHECK(describe(report).find("the key was lost") != std::string::npos);
  // A key state of another chain does not authenticate this one.
  fs::remove(dir / "audit.key");
  {
    TempDir other;
    write_log(other / "audit.log", 1);
    fs::copy_file(other / "audit.key", dir / "audit.key");
  }
  write_log(path, 1);
  records = parse_all(read_lines(path));
  lost = 0;
  for (const auto& r : records) lost += r.kind == audit::kKeyLost;
  CHECK(lost == 2);
}

TEST_CASE("a torn last line is cut at open and recorded", "[audit][key]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  write_log(path, 3);
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << "{\"seq\":99,\"time_ms\":1,\"ki";
  }
  CHECK_FALSE(verify(path, verify_keys(dir.path())).intact);
  write_log(path, 1);
  auto report = verify(path, verify_keys(dir.path()));
  CHECK(report.intact);
  CHECK(report.chains.size() == 1);
  REQUIRE(report.notes.size() == 1);
  CHECK(report.notes[0].find("audit.torn_tail") != std::string::npos);
}

}  // namespace
}  // namespace slurp::security
