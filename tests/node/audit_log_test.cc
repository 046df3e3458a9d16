// The audit log is append-only and hash-chained: any edit is detected.
#include "src/security/audit_log.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace slurp::security {
namespace {

namespace fs = std::filesystem;

using slurp::testing::TempDir;

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_all(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::trunc) << text;
}

TEST_CASE("records chain across reopen and verify", "[audit]") {
  TempDir dir;
  const std::string path = (dir.path() / "audit.log").string();
  {
    auto log = AuditLog::open(path);
    REQUIRE(log.ok());
    REQUIRE((*log)->append("auth.refused", "KEY", "unknown \"key\"\n").ok());
    REQUIRE((*log)->append("node.started", "n1", "").ok());
    CHECK((*log)->records() == 2);
  }
  auto log = AuditLog::open(path);  // resumes the chain
  REQUIRE(log.ok());
  REQUIRE((*log)->append("node.stopped", "n1", "").ok());
  auto count = AuditLog::verify(path);
  REQUIRE(count.ok());
  CHECK(*count == 3);
}

TEST_CASE("an edited record breaks the chain", "[audit]") {
  TempDir dir;
  const std::string path = (dir.path() / "audit.log").string();
  {
    auto log = AuditLog::open(path);
    REQUIRE(log.ok());
    for (int i = 0; i < 3; ++i) {
      REQUIRE((*log)->append("request.rejected", "mallory", "x").ok());
    }
  }
  std::string text = read_all(path);
  auto at = text.find("mallory");
  text.replace(at, 7, "alice!!");
  write_all(path, text);
  auto verified = AuditLog::verify(path);
  REQUIRE_FALSE(verified.ok());
  CHECK(verified.error().reason.find(":1: audit hash chain broken") !=
        std::string::npos);
  CHECK_FALSE(AuditLog::open(path).ok());  // refuses to extend a bad chain
}

TEST_CASE("a dropped record and a torn tail are detected", "[audit]") {
  TempDir dir;
  const std::string path = (dir.path() / "audit.log").string();
  {
    auto log = AuditLog::open(path);
    REQUIRE(log.ok());
    for (int i = 0; i < 3; ++i) REQUIRE((*log)->append("k", "a", "d").ok());
  }
  const std::string whole = read_all(path);
  const auto first_end = whole.find('\n') + 1;
  write_all(path, whole.substr(first_end));  // drop record 1
  CHECK_FALSE(AuditLog::verify(path).ok());
  write_all(path, whole.substr(0, whole.size() - 10));  // torn last write
  auto torn = AuditLog::verify(path);
  REQUIRE_FALSE(torn.ok());
  CHECK(torn.error().reason.find(":3: malformed or torn") != std::string::npos);
}

}  // namespace
}  // namespace slurp::security
