// The audit log (issue 12, items 3, 4 and 9): records are written off the
// caller's thread with group commit, a full queue drops and counts, fields
// are bounded and printable, and every record is chained by a public hash
// and a forward-secure MAC that verify checks.
#include "src/security/audit_log.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "protocol/printable.h"
#include "tests/node/audit_test_support.h"
#include "tests/support/temp_dir.h"

namespace slurp::security {
namespace {

namespace fs = std::filesystem;
using namespace testing_audit;
using slurp::testing::TempDir;

constexpr std::uint64_t kFlushMs = 10000;

std::unique_ptr<AuditLog> open_log(const fs::path& path,
                                   const AuditLog::Options& o = {}) {
  auto log = AuditLog::open(path.string(), o);
  REQUIRE(log.ok());
  return std::move(*log);
}

TEST_CASE("a new log starts a chain and writes its verification key",
          "[audit]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  { auto log = open_log(path); }
  auto records = parse_all(read_lines(path));
  REQUIRE(records.size() == 2);
  CHECK(records[0].kind == audit::kChainStarted);
  CHECK(records[1].kind == audit::kEpochSealed);  // closing seals the epoch
  CHECK(records[0].detail.find("move it off this machine") !=
        std::string::npos);
  CHECK((fs::status(dir / "audit.verify-key").permissions() & fs::perms::all) ==
        fs::perms::owner_read);
  CHECK((fs::status(dir / "audit.key").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(verify_keys(dir.path()).size() == 1);
}

TEST_CASE("records chain across reopen and verify with the key", "[audit]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  {
    auto log = open_log(path);
    REQUIRE(log->append("auth.refused", "KEY", "unknown \"key\"\n").ok());
    REQUIRE(log->append("node.started", "n1", "").ok());
  }
  {
    auto log = open_log(path);  // resumes the chain
    REQUIRE(log->append("node.stopped", "n1", "").ok());
    REQUIRE(log->flush(kFlushMs).ok());
    CHECK(log->records() == 5);  // 1 chain start, 3 records, 1 seal
  }
  auto report = verify(path, verify_keys(dir.path()));
  CHECK(report.intact);
  CHECK(report.records == 6);
  REQUIRE(report.chains.size() == 1);  // no key_lost on a clean restart
  CHECK(report.chains[0].keyed);
  auto records = parse_all(read_lines(path));
  CHECK(records[1].detail == "unknown \"key\"\\n");
}

TEST_CASE("group commit: one fdatasync for everything queued", "[audit]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  AuditLog::Options o;
  o.writer_paused = true;
  auto log = open_log(path, o);
  const auto before = log->stats();
  for (int i = 0; i < 100; ++i) {
    REQUIRE(log->append("k", "a", std::to_string(i)).ok());
  }
  log->resume_writer();
  REQUIRE(log->flush(kFlushMs).ok());
  const auto after = log->stats();
  CHECK(after.syncs - before.syncs == 1);
  CHECK(after.written - before.written == 100);
  auto records = parse_all(read_lines(path));
  REQUIRE(records.size() == 101);
  for (int i = 0; i < 100; ++i) {
    CHECK(records[static_cast<std::size_t>(i) + 1].detail == std::to_string(i));
  }
  CHECK(log->head().seq == 101);
  CHECK(log->head().mac_hex == records.back().mac);
}

TEST_CASE("100,000 appends from two threads: each written or counted",
          "[audit]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  AuditStats stats;
  {
    auto log = open_log(path);
    auto burst = [&](const char* who) {
      for (int i = 0; i < 50000; ++i) (void)log->append("k", who, "x");
    };
    std::thread other(burst, "b");
    burst("a");
    other.join();
    REQUIRE(log->flush(kFlushMs).ok());
    stats = log->stats();
  }
  CHECK(stats.enqueued + stats.dropped == 100000);
  CHECK(stats.syncs < stats.written);  // batches, not one sync per record
  auto report = verify(path, verify_keys(dir.path()));
  CHECK(report.intact);
  std::uint64_t appended = 0, dropped_reported = 0;
  for (const auto& r : parse_all(read_lines(path))) {
    if (r.kind == "k") appended += 1;
    if (r.kind == audit::kDropped) {
      dropped_reported += std::stoull(r.detail);
    }
  }
  CHECK(appended == stats.enqueued);
  CHECK(dropped_reported == stats.dropped);
}

TEST_CASE("a full queue drops records and the next batch says how many",
          "[audit]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  AuditLog::Options o;
  o.writer_paused = true;
  o.queue_records_max = 10;
  auto log = open_log(path, o);
  for (int i = 0; i < 25; ++i) REQUIRE(log->append("k", "a", "x").ok());
  CHECK(log->stats().dropped == 15);
  log->resume_writer();
  REQUIRE(log->flush(kFlushMs).ok());
  auto records = parse_all(read_lines(path));
  REQUIRE(records.size() == 12);
  CHECK(records[1].kind == audit::kDropped);
  CHECK(records[1].detail.rfind("15 records dropped", 0) == 0);
}

TEST_CASE("fields are bounded, escaped and valid UTF-8", "[audit]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  const std::string huge(1024 * 1024, 'T');
  const std::string nasty = "x\n{\"seq\":1}\x1b[2J\xff\xfe\"\\";
  {
    auto log = open_log(path);
    REQUIRE(log->append(huge, huge, huge).ok());
    REQUIRE(log->append(nasty, nasty, nasty).ok());
  }
  const auto lines = read_lines(path);
  REQUIRE(lines.size() == 4);
  for (const auto& l : lines) {
    CHECK(l.size() < limits::audit_record_bytes_max);
    CHECK(is_valid_utf8(l));
    for (char c : l) CHECK(static_cast<unsigned char>(c) >= 0x20);
  }
  auto records = parse_all(lines);
  CHECK(records[1].kind.size() <= limits::audit_kind_bytes_max);
  CHECK(records[1].detail.size() <= limits::audit_detail_bytes_max);
  CHECK(records[1].detail.find("bytes)") != std::string::npos);
  CHECK(records[2].detail == printable_prefix(nasty, 512));
  CHECK(records[2].detail.find("\\x1B[2J\\xFF\\xFE") != std::string::npos);
  CHECK(verify(path, verify_keys(dir.path())).intact);
}

TEST_CASE("1,000 identical refusals make at most 2 records", "[audit]") {
  TempDir dir;
  const fs::path path = dir / "audit.log";
  {
    auto log = open_log(path);
    for (int i = 0; i < 1000; ++i) {
      REQUIRE(log->refusal("request.rejected", "mallory", "bad_request",
                           "bad_request: type " + std::to_string(i))
                  .ok());
    }
    CHECK(log->stats().aggregated == 999);
    // A refusal of another peer is its own key: written too.
    REQUIRE(log->refusal("request.rejected", "eve", "bad_request", "x").ok());
  }  // closing writes the pending "repeated" summary
  auto records = parse_all(read_lines(path));
  std::size_t mallory = 0;
  for (const auto& r : records) mallory += r.actor == "mallory";
  CHECK(mallory == 2);
  REQUIRE(records.size() == 5);  // and the chain start and the seal
  CHECK(records[1].detail == "bad_request: type 0");
  CHECK(records[3].kind == "request.rejected.repeated");
  CHECK(records[3].detail.rfind("999 more (bad_request)", 0) == 0);
  CHECK(records[3].detail.find("last: bad_request: type 999") !=
        std::string::npos);
}

}  // namespace
}  // namespace slurp::security
