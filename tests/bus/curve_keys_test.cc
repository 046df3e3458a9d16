#include "bus/curve_keys.h"

#include <sys/stat.h>
#include <zmq.h>

#include <catch2/catch.hpp>

#include "bus_test_support.h"

namespace slurp::bus::testing {
namespace {

mode_t file_mode(const std::filesystem::path& path) {
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  return status.st_mode & 07777;
}

CurveKeyPair make_pair() {
  Result<CurveKeyPair> pair = generate_curve_keypair();
  REQUIRE(pair.ok());
  return *pair;
}

TEST_CASE("keys: generated pairs are distinct 40-character Z85 keys",
          "[bus][keys]") {
  CurveKeyPair a = make_pair();
  CurveKeyPair b = make_pair();
  CHECK(a.public_z85.size() == 40);
  CHECK(a.secret_z85.size() == 40);
  CHECK(z85_key_to_raw(a.public_z85));
  CHECK(z85_key_to_raw(a.secret_z85));
  CHECK(a.public_z85 != b.public_z85);
  CHECK(a.secret_z85 != b.secret_z85);
  std::optional<std::string> raw = z85_key_to_raw(a.public_z85);
  REQUIRE(raw);
  CHECK(raw->size() == 32);
  CHECK(raw_key_to_z85(*raw) == a.public_z85);
}

TEST_CASE("keys: write then load gives the same pair, with 0600/0644 modes",
          "[bus][keys]") {
  TempDir dir;
  CurveKeyPair pair = make_pair();
  // A umask that would widen nothing and narrow the .pub: the modes must
  // still come out exactly.
  mode_t old_umask = ::umask(077);
  Status written = write_keypair(pair, dir.path(), "node1");
  ::umask(old_umask);
  REQUIRE(written.ok());
  CHECK(file_mode(dir / "node1.key") == 0600);
  CHECK(file_mode(dir / "node1.pub") == 0644);

  Result<std::string> public_key = load_public_key(dir / "node1.pub");
  REQUIRE(public_key.ok());
  CHECK(*public_key == pair.public_z85);
  Result<std::string> secret_key = load_secret_key(dir / "node1.key");
  REQUIRE(secret_key.ok());
  CHECK(*secret_key == pair.secret_z85);
  Result<CurveKeyPair> loaded = load_keypair(dir / "node1.key");
  REQUIRE(loaded.ok());
  CHECK(loaded->public_z85 == pair.public_z85);
  CHECK(loaded->secret_z85 == pair.secret_z85);
}

TEST_CASE("keys: the files say what they are in a comment line",
          "[bus][keys]") {
  TempDir dir;
  REQUIRE(write_keypair(make_pair(), dir.path(), "n").ok());
  std::ifstream secret(dir / "n.key");
  std::string first_line;
  std::getline(secret, first_line);
  CHECK_THAT(first_line, Catch::StartsWith("#") && Catch::Contains("secret"));
}

TEST_CASE("keys: write refuses to overwrite", "[bus][keys]") {
  TempDir dir;
  CurveKeyPair first = make_pair();
  REQUIRE(write_keypair(first, dir.path(), "node1").ok());
  Status again = write_keypair(make_pair(), dir.path(), "node1");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::conflict);
  CHECK(*load_secret_key(dir / "node1.key") == first.secret_z85);
  CHECK(*load_public_key(dir / "node1.pub") == first.public_z85);

  SECTION("a stray .pub alone also blocks, and no .key is left behind") {
    write_text(dir / "node2.pub", "# stray\n");
    REQUIRE_FALSE(write_keypair(make_pair(), dir.path(), "node2").ok());
    CHECK_FALSE(std::filesystem::exists(dir / "node2.key"));
  }
  SECTION("a symlink at the .key name is not followed") {
    std::filesystem::create_symlink(dir / "elsewhere", dir / "node3.key");
    REQUIRE_FALSE(write_keypair(make_pair(), dir.path(), "node3").ok());
    CHECK_FALSE(std::filesystem::exists(dir / "elsewhere"));
  }
  SECTION("basenames with a slash are refused") {
    CHECK_FALSE(write_keypair(make_pair(), dir.path(), "../x").ok());
    CHECK_FALSE(write_keypair(make_pair(), dir.path(), "").ok());
  }
}

TEST_CASE("keys: a secret key readable by group or others is refused",
          "[bus][keys]") {
  TempDir dir;
  REQUIRE(write_keypair(make_pair(), dir.path(), "node1").ok());
  std::filesystem::path secret = dir / "node1.key";
  for (mode_t mode : {0644u, 0640u, 0604u, 0620u, 0602u}) {
    CAPTURE(mode);
    REQUIRE(::chmod(secret.c_str(), mode) == 0);
    Result<std::string> loaded = load_secret_key(secret);
    REQUIRE_FALSE(loaded.ok());
    CHECK_THAT(loaded.error().describe(),
               Catch::Contains("chmod 600 " + secret.string()));
    CHECK_FALSE(load_keypair(secret).ok());
  }
  REQUIRE(::chmod(secret.c_str(), 0400) == 0);
  CHECK(load_secret_key(secret).ok());
}

TEST_CASE("keys: bad Z85 is refused", "[bus][keys]") {
  TempDir dir;
  CurveKeyPair pair = make_pair();
  auto load = [&](const std::string& text) {
    write_text(dir / "k.pub", text);
    return load_public_key(dir / "k.pub");
  };
  CHECK(load(pair.public_z85 + "\n").ok());
  CHECK(load("# c\n\n  " + pair.public_z85 + "  \r\n# trailing\n").ok());
  CHECK_FALSE(load(pair.public_z85.substr(1) + "\n").ok());   // 39 chars
  CHECK_FALSE(load(pair.public_z85 + "A\n").ok());            // 41 chars
  CHECK_FALSE(load(std::string(40, '~') + "\n").ok());        // not Z85
  CHECK_FALSE(load(std::string(40, '#') + "\n").ok());        // comment, no key
  CHECK_FALSE(load("x" + std::string(39, '#') + "\n").ok());  // overflows
  CHECK_FALSE(load("").ok());
  CHECK_FALSE(load(pair.public_z85 + "\n" + pair.public_z85 + "\n").ok());
  Result<std::string> bad = load("not a key\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::bad_request);
  CHECK_THAT(bad.error().describe(), Catch::Contains("k.pub:1"));
}

TEST_CASE("keys: non-Z85-canonical spellings are refused", "[bus][keys]") {
  // Z85 groups above 2^32-1 decode to something, but not to themselves.
  CHECK_FALSE(z85_key_to_raw(std::string(40, '#')));
  CHECK_FALSE(z85_key_to_raw(std::string(39, '0') + '\0'));
  CHECK(z85_key_to_raw(std::string(40, '0')));
}

TEST_CASE("keys: non-regular and missing files are refused", "[bus][keys]") {
  TempDir dir;
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  Result<std::string> fifo = load_secret_key(dir / "fifo");  // must not hang
  REQUIRE_FALSE(fifo.ok());
  CHECK_THAT(fifo.error().reason, Catch::Contains("not a regular file"));
  std::filesystem::create_directory(dir / "dir");
  ::chmod((dir / "dir").c_str(), 0700);
  CHECK_FALSE(load_secret_key(dir / "dir").ok());
  Result<std::string> missing = load_secret_key(dir / "missing.key");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::not_found);
  write_text(dir / "big.key", std::string(8192, '#'), 0600);
  Result<std::string> big = load_secret_key(dir / "big.key");
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == ErrorCode::too_large);
}

TEST_CASE("keys: load_keypair catches a .pub that belongs to another secret",
          "[bus][keys]") {
  TempDir dir;
  REQUIRE(write_keypair(make_pair(), dir.path(), "a").ok());
  REQUIRE(write_keypair(make_pair(), dir.path(), "b").ok());
  std::filesystem::remove(dir / "a.pub");
  std::filesystem::copy_file(dir / "b.pub", dir / "a.pub");
  Result<CurveKeyPair> pair = load_keypair(dir / "a.key");
  REQUIRE_FALSE(pair.ok());
  CHECK_THAT(pair.error().reason, Catch::Contains("does not belong"));

  SECTION("without a .pub the public half is derived") {
    std::filesystem::remove(dir / "a.pub");
    Result<CurveKeyPair> derived = load_keypair(dir / "a.key");
    REQUIRE(derived.ok());
    char expected[41];
    REQUIRE(zmq_curve_public(expected, derived->secret_z85.c_str()) == 0);
    CHECK(derived->public_z85 == expected);
  }
}

}  // namespace
}  // namespace slurp::bus::testing
