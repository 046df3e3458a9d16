// cluster.toml: the schema of docs/CONFIG.md, its defaults, path
// resolution, one case per kind of error (each naming the key and the
// position), environment overrides, and config and client key discovery.

#include "src/config/cluster_config.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

namespace slurp::config {
namespace {

namespace fs = std::filesystem;

// Public keys from the libzmq CURVE documentation: canonical Z85.
constexpr const char* kKeyA = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
constexpr const char* kKeyB = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

// One [[nodes]] entry with ports base..base+3 and a key file.
std::string node(const std::string& id, int base,
                 const std::string& host = "127.0.0.1") {
  return "[[nodes]]\nid = \"" + id + "\"\nhost = \"" + host +
         "\"\napi_port = " + std::to_string(base) +
         "\nevents_port = " + std::to_string(base + 1) +
         "\njobs_port = " + std::to_string(base + 2) +
         "\nresults_port = " + std::to_string(base + 3) +
         "\npublic_key = \"keys/" + id + ".pub\"\n";
}

std::string three_nodes() {
  return node("n1", 7101) + node("n2", 7201) + node("n3", 7301);
}

Result<ClusterConfig> parse(const std::string& text) {
  return parse_cluster_config(text, "cluster.toml", "/etc/slurp");
}

ClusterConfig parse_ok(const std::string& text) {
  auto config = parse(text);
  if (!config) FAIL(config.error().describe());
  return std::move(*config);
}

// The error parsing `text` gives; checks it is a bad_request on `field`.
Error parse_error(const std::string& text, const std::string& field) {
  auto config = parse(text);
  REQUIRE_FALSE(config.ok());
  const Error& error = config.error();
  CAPTURE(error.describe());
  CHECK(error.code == ErrorCode::bad_request);
  CHECK(error.field == field);
  return error;
}

void expect_error(const std::string& text, const std::string& field,
                  const std::string& reason_part) {
  const Error error = parse_error(text, field);
  CHECK_THAT(error.reason, Catch::Contains(reason_part));
  // Every error names the file.
  CHECK_THAT(error.reason, Catch::StartsWith("cluster.toml:"));
}

GetEnv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt
                            : std::optional<std::string>(it->second);
  };
}

TEST_CASE("config: a full file sets every field", "[config]") {
  const std::string text = std::string(R"(
[cluster]
name = "prod-eu"
data_dir = "/var/lib/slurp"
authorized_keys = "/etc/slurp/authorized_keys"
insecure = false
client_key = "keys/admin.key"

[timing]
tick_ms = 20
election_ticks_min = 12
election_ticks_max = 24
heartbeat_ticks = 2

[limits]
queue_depth_max = 5000
worker_inflight_jobs_max = 4
job_attempts_max = 3
uncommitted_entries_max = 1000
append_entries_max = 64
append_bytes_max = 65536
snapshot_bytes_max = 1048576
audit_anchor_interval_ms = 500

[[nodes]]
id = "n1"
host = "10.0.0.1"
bind_host = "0.0.0.0"
api_port = 7101
events_port = 7102
jobs_port = 7103
results_port = 7104
public_key = "keys/n1.pub"
secret_key = "keys/n1.key"
data_dir = "/srv/n1"

[[nodes]]
id = "n2"
host = "10.0.0.2"
api_port = 7101
events_port = 7102
jobs_port = 7103
results_port = 7104
public_key_z85 = ")") + kKeyA +
                           R"("

[[workers]]
id = "w1"
public_key_z85 = ")" + kKeyB +
                           R"("
)";
  const ClusterConfig c = parse_ok(text);
  CHECK(c.source_name == "cluster.toml");
  CHECK(c.name == "prod-eu");
  CHECK(c.data_dir == "/var/lib/slurp");
  CHECK(c.authorized_keys == "/etc/slurp/authorized_keys");
  CHECK_FALSE(c.insecure);
  CHECK(c.client_key == "/etc/slurp/keys/admin.key");
  CHECK(c.timing.tick_ms == 20);
  CHECK(c.timing.election_ticks_min == 12);
  CHECK(c.timing.election_ticks_max == 24);
  CHECK(c.timing.heartbeat_ticks == 2);
  CHECK(c.limits.queue_depth_max == 5000);
  CHECK(c.limits.worker_inflight_jobs_max == 4);
  CHECK(c.limits.job_attempts_max == 3);
  CHECK(c.limits.uncommitted_entries_max == 1000);
  CHECK(c.limits.append_entries_max == 64);
  CHECK(c.limits.append_bytes_max == 65536);
  CHECK(c.limits.snapshot_bytes_max == 1048576);
  CHECK(c.limits.audit_anchor_interval_ms == 500);
  REQUIRE(c.nodes.size() == 2);
  const NodeConfig& n1 = c.nodes[0];
  CHECK(n1.id == "n1");
  CHECK(n1.host == "10.0.0.1");
  CHECK(n1.bind_host == "0.0.0.0");
  CHECK(n1.api_port == 7101);
  CHECK(n1.events_port == 7102);
  CHECK(n1.jobs_port == 7103);
  CHECK(n1.results_port == 7104);
  CHECK(n1.public_key_path == "/etc/slurp/keys/n1.pub");
  CHECK(n1.public_key_z85.empty());
  CHECK(n1.secret_key_path == "/etc/slurp/keys/n1.key");
  CHECK(n1.data_dir == "/srv/n1");
  CHECK(n1.api_endpoint() == "tcp://10.0.0.1:7101");
  CHECK(n1.events_endpoint() == "tcp://10.0.0.1:7102");
  CHECK(n1.jobs_endpoint() == "tcp://10.0.0.1:7103");
  CHECK(n1.results_endpoint() == "tcp://10.0.0.1:7104");
  CHECK(n1.bind_endpoint(n1.api_port) == "tcp://0.0.0.0:7101");
  const NodeConfig& n2 = c.nodes[1];
  CHECK(n2.public_key_path.empty());
  CHECK(n2.public_key_z85 == kKeyA);
  CHECK(n2.secret_key_path.empty());
  CHECK(n2.data_dir == "/var/lib/slurp/n2");
  REQUIRE(c.workers.size() == 1);
  CHECK(c.workers[0].id == "w1");
  CHECK(c.workers[0].public_key_z85 == kKeyB);
  CHECK(c.find_node("n2") == &c.nodes[1]);
  CHECK(c.find_node("n3") == nullptr);
  CHECK(c.find_node("N2") == nullptr);  // ids are case-sensitive
}

TEST_CASE("config: defaults for everything optional", "[config]") {
  const ClusterConfig c = parse_ok(node("n1", 7101));
  CHECK(c.name == "slurp");
  CHECK(c.data_dir == "/etc/slurp/data");
  CHECK(c.authorized_keys == "/etc/slurp/authorized_keys");
  CHECK_FALSE(c.insecure);
  CHECK(c.client_key.empty());
  const TimingConfig timing;
  CHECK(c.timing.tick_ms == 10);
  CHECK(c.timing.election_ticks_min == 15);
  CHECK(c.timing.election_ticks_max == 30);
  CHECK(c.timing.heartbeat_ticks == 5);
  CHECK(c.timing.tick_ms == timing.tick_ms);
  const LimitsConfig limits;
  CHECK(c.limits.queue_depth_max == limits.queue_depth_max);
  CHECK(c.limits.append_entries_max == limits.append_entries_max);
  CHECK(c.limits.snapshot_bytes_max == limits.snapshot_bytes_max);
  CHECK(c.limits.audit_anchor_interval_ms == limits.audit_anchor_interval_ms);
  REQUIRE(c.nodes.size() == 1);
  CHECK(c.nodes[0].bind_host.empty());
  CHECK(c.nodes[0].bind_endpoint(7101) == "tcp://127.0.0.1:7101");
  CHECK(c.nodes[0].secret_key_path.empty());
  CHECK(c.nodes[0].data_dir == "/etc/slurp/data/n1");
  CHECK(c.workers.empty());
}

TEST_CASE("config: relative paths resolve against the file's directory",
          "[config]") {
  const std::string text = R"(
[cluster]
data_dir = "../state"
authorized_keys = "/abs/authorized_keys"
client_key = "../keys/./admin.key"
)" + node("n1", 7101) + "secret_key = \"./keys/../keys/n1.key\"\n" +
                           "data_dir = \"n1-data\"\n";
  SECTION("against base_dir, normalized") {
    const ClusterConfig c = parse_ok(text);
    CHECK(c.data_dir == "/etc/state");
    CHECK(c.authorized_keys == "/abs/authorized_keys");
    CHECK(c.client_key == "/etc/keys/admin.key");
    CHECK(c.nodes[0].public_key_path == "/etc/slurp/keys/n1.pub");
    CHECK(c.nodes[0].secret_key_path == "/etc/slurp/keys/n1.key");
    CHECK(c.nodes[0].data_dir == "/etc/slurp/n1-data");
  }
  SECTION("an empty base_dir keeps them relative to the working directory") {
    auto c = parse_cluster_config(text, "cluster.toml", "");
    REQUIRE(c.ok());
    CHECK(c->data_dir == "../state");
    CHECK(c->client_key == "../keys/admin.key");
    CHECK(c->nodes[0].secret_key_path == "keys/n1.key");
  }
}

TEST_CASE("config: the example in docs/CONFIG.md is valid", "[config]") {
  std::ifstream doc(fs::path(SLURP_SOURCE_DIR) / "docs" / "CONFIG.md");
  REQUIRE(doc);
  std::string line;
  std::string example;
  bool inside = false;
  while (std::getline(doc, line)) {
    if (line == "```toml") {
      inside = true;
    } else if (inside && line == "```") {
      break;
    } else if (inside) {
      example += line + "\n";
    }
  }
  const ClusterConfig c = parse_ok(example);
  CHECK(c.name == "local");
  CHECK(c.nodes.size() == 3);
  CHECK(c.workers.size() == 1);
  CHECK(c.nodes[2].data_dir == "/var/lib/slurp/n3");
}

TEST_CASE("config: endpoints", "[config]") {
  CHECK(NodeConfig::endpoint("node-1.example", 7101) ==
        "tcp://node-1.example:7101");
  CHECK(NodeConfig::endpoint("::1", 7101) == "tcp://[::1]:7101");
  CHECK(NodeConfig::endpoint("*", 9) == "tcp://*:9");
  const ClusterConfig c = parse_ok(node("n1", 7101, "::1"));
  CHECK(c.nodes[0].api_endpoint() == "tcp://[::1]:7101");
}

TEST_CASE("config: TOML syntax errors carry the position", "[config]") {
  const Error e = parse_error("[cluster]\nname = \"x\"\n[[nodes]\n", "");
  CHECK_THAT(e.reason, Catch::StartsWith("cluster.toml:3:"));
  CHECK_THAT(e.reason, Catch::Contains("TOML syntax error"));
  // A key given twice is a syntax error in TOML.
  expect_error(node("n1", 7101) + "host = \"x\"\n", "", "TOML syntax error");
}

TEST_CASE("config: values out of range name the key and position", "[config]") {
  const std::string bad_port =
      node("n1", 7101) +
      "[[nodes]]\nid = \"n2\"\nhost = \"h\"\napi_port = 70000\n";
  const Error e = parse_error(bad_port, "nodes[1].api_port");
  // Line 12 (the second entry's api_port), column 12 (its value).
  CHECK(e.reason == "cluster.toml:12:12: must be 1..65535 (got 70000)");
  expect_error(node("n1", 0), "nodes[0].api_port", "must be 1..65535 (got 0)");
  expect_error(node("n1", -5), "nodes[0].api_port", "(got -5)");
  expect_error("[timing]\ntick_ms = 0\n" + node("n1", 7101), "timing.tick_ms",
               "must be 1..1000");
  expect_error("[limits]\nqueue_depth_max = 0\n" + node("n1", 7101),
               "limits.queue_depth_max", "must be 1..");
  // Limits that meet the wire may not exceed protocol/limits.h.
  expect_error("[limits]\nappend_entries_max = 5000\n" + node("n1", 7101),
               "limits.append_entries_max", "must be 1..4096 (got 5000)");
}

TEST_CASE("config: wrong types name the key", "[config]") {
  std::string text = node("n1", 7101);
  text.replace(text.find("7101"), 4, "\"7101\"");
  expect_error(text, "nodes[0].api_port", "must be an integer, not a string");
  expect_error("[timing]\ntick_ms = 10.5\n" + node("n1", 7101),
               "timing.tick_ms",
               "must be an integer, not a floating-point number");
  expect_error("[cluster]\ninsecure = \"no\"\n" + node("n1", 7101),
               "cluster.insecure", "must be a boolean, not a string");
  expect_error("[cluster]\nclient_key = 1\n" + node("n1", 7101),
               "cluster.client_key", "must be a string, not an integer");
  expect_error("[cluster]\nclient_key = \"\"\n" + node("n1", 7101),
               "cluster.client_key", "must be a non-empty path");
  expect_error("cluster = 5\n" + node("n1", 7101), "cluster",
               "must be a table, not an integer");
  expect_error("[nodes]\nid = \"n1\"\n", "nodes",
               "must be an array of tables ([[nodes]])");
  expect_error("nodes = [1, 2]\n", "nodes", "must be an array of tables");
  expect_error(node("n1", 7101) + "[[workers]]\nid = 7\n", "workers[0].id",
               "must be a string, not an integer");
}

TEST_CASE("config: unknown keys are errors, with a guess", "[config]") {
  expect_error("[timing]\nheartbeat = 5\n" + node("n1", 7101),
               "timing.heartbeat",
               "unknown key 'timing.heartbeat' (did you mean "
               "'timing.heartbeat_ticks'?)");
  expect_error("[timimg]\ntick_ms = 5\n" + node("n1", 7101), "timimg",
               "unknown key 'timimg' (did you mean 'timing'?)");
  expect_error(node("n1", 7101) + "hots = \"x\"\n", "nodes[0].hots",
               "did you mean 'nodes[0].host'?");
  expect_error("[limits]\nqueue_depth = 5\n" + node("n1", 7101),
               "limits.queue_depth", "unknown key 'limits.queue_depth'");
  expect_error("[cluster]\ncolour = \"blue\"\n" + node("n1", 7101),
               "cluster.colour", "unknown key 'cluster.colour'");
  expect_error("[cluster]\nclient_keys = \"k\"\n" + node("n1", 7101),
               "cluster.client_keys", "did you mean 'cluster.client_key'?");
  expect_error(node("n1", 7101) + "[[workers]]\nid = \"w1\"\nrole = \"x\"\n",
               "workers[0].role", "unknown key");
  expect_error("name = \"top\"\n" + node("n1", 7101), "name",
               "unknown key 'name'");
  // No guess for keys too short to be a typo of anything.
  const Error e = parse_error(node("n1", 7101) + "x = 1\n", "nodes[0].x");
  CHECK(e.reason == "cluster.toml:9:1: unknown key 'nodes[0].x'");
}

TEST_CASE("config: missing required keys", "[config]") {
  const Error e =
      parse_error("[[nodes]]\nid = \"n1\"\napi_port = 1\n", "nodes[0].host");
  // The position of the entry that lacks it.
  CHECK(e.reason == "cluster.toml:1:1: missing 'nodes[0].host' (required)");
  expect_error("[[nodes]]\nhost = \"h\"\n", "nodes[0].id", "missing");
  std::string no_results = node("n1", 7101);
  no_results.erase(no_results.find("results_port"),
                   std::string("results_port = 7104\n").size());
  expect_error(no_results, "nodes[0].results_port", "missing");
}

TEST_CASE("config: ids", "[config]") {
  expect_error("[[nodes]]\nid = \"n 1\"\n", "nodes[0].id",
               "must be 1..64 characters of A-Z a-z 0-9 . _ -, starting with a "
               "letter or digit (got 'n 1')");
  // An id names a directory and appears on command lines.
  for (const char* id : {"..", ".n1", "-n1", "_n1"}) {
    CAPTURE(id);
    expect_error("[[nodes]]\nid = \"" + std::string(id) + "\"\n", "nodes[0].id",
                 "starting with a letter or digit");
  }
  expect_error("[[nodes]]\nid = \"\"\n", "nodes[0].id", "must be 1..64");
  expect_error("[[nodes]]\nid = \"" + std::string(65, 'a') + "\"\n",
               "nodes[0].id", "must be 1..64");
  expect_error("[cluster]\nname = \"a/b\"\n" + node("n1", 7101), "cluster.name",
               "must be 1..64");
  expect_error(three_nodes() + node("n2", 7401), "nodes[3].id",
               "duplicate node id 'n2' (nodes[1].id, nodes[3].id)");
  expect_error(three_nodes() + "[[workers]]\nid = \"n3\"\npublic_key_z85 = \"" +
                   kKeyA + "\"\n",
               "workers[0].id",
               "a node and a worker share the id 'n3' (nodes[2].id, "
               "workers[0].id)");
  expect_error(node("n1", 7101) + "[[workers]]\nid = \"w\"\ninsecure=1\n",
               "workers[0].insecure", "unknown key");
  parse_ok(node("n1", 7101) + node("N1", 7201));  // case-sensitive
}

TEST_CASE("config: ports are unique per host", "[config]") {
  expect_error(node("n1", 7101) + node("n2", 7101), "nodes[1].api_port",
               "port 7101 used twice (nodes[0].api_port, nodes[1].api_port) "
               "on host 127.0.0.1");
  expect_error(node("n1", 7101) + node("n2", 7104), "nodes[1].api_port",
               "port 7104 used twice (nodes[0].results_port, "
               "nodes[1].api_port)");
  std::string same_node = node("n1", 7101);
  same_node.replace(same_node.find("7102"), 4, "7101");
  expect_error(same_node, "nodes[0].events_port",
               "(nodes[0].api_port, nodes[0].events_port)");
  // The same ports on different hosts are fine: one node per machine.
  const ClusterConfig c =
      parse_ok(node("n1", 7101, "10.0.0.1") + node("n2", 7101, "10.0.0.2"));
  CHECK(c.nodes.size() == 2);
}

TEST_CASE("config: timing must be sane", "[config]") {
  const Error e =
      parse_error("[timing]\nelection_ticks_min = 3\n" + node("n1", 7101),
                  "timing.election_ticks_min");
  CHECK_THAT(e.reason,
             Catch::StartsWith("cluster.toml:2:22: election_ticks_min (3) "
                               "must be greater than heartbeat_ticks (5)"));
  expect_error("[timing]\nelection_ticks_min = 15\nelection_ticks_max = 15\n" +
                   node("n1", 7101),
               "timing.election_ticks_max",
               "election_ticks_max (15) must be greater than "
               "election_ticks_min (15)");
  expect_error(
      "[timing]\ntick_ms = 1000\nelection_ticks_max = 100\n" + node("n1", 7101),
      "timing.election_ticks_max",
      "election_ticks_max * tick_ms = 100000 ms exceeds 60000 ms");
  expect_error("[timing]\nheartbeat_ticks = 0\n" + node("n1", 7101),
               "timing.heartbeat_ticks", "must be 1..10000");
}

TEST_CASE("config: node and worker counts are bounded", "[config]") {
  expect_error("[cluster]\nname = \"x\"\n", "nodes",
               "at least one [[nodes]] entry is required");
  expect_error("nodes = []\n", "nodes", "at least one");
  std::string many;
  for (int i = 0; i <= static_cast<int>(cluster_nodes_max); ++i) {
    many += node("n" + std::to_string(i), 10000 + 10 * i);
  }
  expect_error(many, "nodes", "at most 16 entries (got 17)");
}

TEST_CASE("config: [files] roots", "[config]") {
  CHECK(parse_ok(node("n1", 7101)).files.roots.empty());
  const ClusterConfig c =
      parse_ok("[files]\nroots = [\"/srv/src\", \"/home/ci/work\"]\n" +
               node("n1", 7101));
  CHECK(c.files.roots == std::vector<std::string>{"/srv/src", "/home/ci/work"});
  CHECK(parse_ok("[files]\n" + node("n1", 7101)).files.roots.empty());
  expect_error("[files]\nroots = [\"src\"]\n" + node("n1", 7101), "files.roots",
               "root 0 (\"src\") must be an absolute path");
  expect_error(
      "[files]\nroots = [\"/srv\", \"/srv/../etc\"]\n" + node("n1", 7101),
      "files.roots", "root 1 (\"/srv/../etc\") must be a clean path");
  expect_error("[files]\nroots = [\"/srv/\"]\n" + node("n1", 7101),
               "files.roots", "must be a clean path");
  expect_error("[files]\nroots = [\"/\"]\n" + node("n1", 7101), "files.roots",
               "must not be /");
  expect_error("[files]\nroots = [\"/proc/self\"]\n" + node("n1", 7101),
               "files.roots", "must not be in /proc");
  expect_error("[files]\nroots = [\"/a\", \"/a\"]\n" + node("n1", 7101),
               "files.roots", "listed twice");
  expect_error("[files]\nroots = [1]\n" + node("n1", 7101), "files.roots",
               "must be an array of strings");
  expect_error("[files]\nroots = \"/srv\"\n" + node("n1", 7101), "files.roots",
               "must be an array");
  expect_error("[files]\nroot = [\"/srv\"]\n" + node("n1", 7101), "files.root",
               "unknown key");
  std::string many = "[files]\nroots = [";
  for (std::size_t i = 0; i <= limits::file_roots_max; ++i) {
    many += (i ? ", \"/r" : "\"/r") + std::to_string(i) + "\"";
  }
  expect_error(many + "]\n" + node("n1", 7101), "files.roots",
               "at most 64 roots (got 65)");
}

TEST_CASE("config: keys", "[config]") {
  std::string no_key = node("n1", 7101);
  no_key.erase(no_key.find("public_key"));
  const Error e = parse_error(no_key, "nodes[0].public_key");
  CHECK_THAT(e.reason, Catch::StartsWith("cluster.toml:1:1: missing"));
  CHECK_THAT(e.reason, Catch::Contains("unless cluster.insecure = true"));
  SECTION("not needed when insecure") {
    const ClusterConfig c = parse_ok("[cluster]\ninsecure = true\n" + no_key);
    CHECK(c.insecure);
    CHECK(c.nodes[0].public_key_path.empty());
  }
  expect_error(node("n1", 7101) + "public_key_z85 = \"" + kKeyA + "\"\n",
               "nodes[0].public_key_z85",
               "set public_key or public_key_z85, not both");
  expect_error(no_key + "public_key_z85 = \"abc\"\n", "nodes[0].public_key_z85",
               "must be 40 Z85 characters (got 3)");
  std::string bad_char = kKeyA;
  bad_char[4] = '"';
  expect_error(no_key + "public_key_z85 = '" + bad_char + "'\n",
               "nodes[0].public_key_z85", "is not Z85: character 5");
  expect_error(no_key + "public_key_z85 = \"" + std::string(40, '#') + "\"\n",
               "nodes[0].public_key_z85", "is not canonical Z85");
  expect_error(node("n1", 7101) + "[[workers]]\nid = \"w1\"\n",
               "workers[0].public_key", "missing");
  expect_error(node("n1", 7101) + "secret_key = \"\"\n", "nodes[0].secret_key",
               "must be a non-empty path");
}

TEST_CASE("config: hosts", "[config]") {
  expect_error(node("n1", 7101, "tcp://10.0.0.1"), "nodes[0].host",
               "not an endpoint");
  expect_error(node("n1", 7101, "a b"), "nodes[0].host",
               "must be a host name or IP address");
  expect_error(node("n1", 7101, "*"), "nodes[0].host", "(got '*')");
  const ClusterConfig c =
      parse_ok(node("n1", 7101, "fe80::1%eth0") + "bind_host = \"*\"\n");
  CHECK(c.nodes[0].bind_endpoint(7101) == "tcp://*:7101");
}

TEST_CASE("config: load_cluster_config reads a file", "[config]") {
  const fs::path dir = fs::temp_directory_path() /
                       ("slurp-config-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "cluster.toml";
  std::ofstream(file) << node("n1", 7101);
  SECTION("paths resolve against its directory") {
    auto c = load_cluster_config(file);
    REQUIRE(c.ok());
    CHECK(c->source_name == file.string());
    CHECK(c->nodes[0].public_key_path == dir / "keys/n1.pub");
    CHECK(c->data_dir == dir / "data");
  }
  SECTION("errors name the file") {
    auto missing = load_cluster_config(dir / "nope.toml");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::not_found);
    CHECK_THAT(missing.error().reason, Catch::Contains("nope.toml"));
    auto directory = load_cluster_config(dir);
    REQUIRE_FALSE(directory.ok());
    CHECK(directory.error().code == ErrorCode::bad_request);
    std::ofstream(file) << std::string(config_file_bytes_max + 1, '#');
    auto big = load_cluster_config(file);
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().code == ErrorCode::too_large);
  }
  fs::remove_all(dir);
}

TEST_CASE("config: environment overrides the file", "[config]") {
  ClusterConfig c = parse_ok(three_nodes());
  SECTION("every variable") {
    REQUIRE(apply_environment(c, env_of({
                                     {"SLURP_DATA_DIR", "/data"},
                                     {"SLURP_AUTHORIZED_KEYS", "/keys/ak"},
                                     {"SLURP_INSECURE", "YES"},
                                     {"SLURP_BIND_HOST", "0.0.0.0"},
                                     {"SLURP_HOST_N2", "n2.internal"},
                                 })));
    CHECK(c.data_dir == "/data");
    CHECK(c.nodes[0].data_dir == "/data/n1");
    CHECK(c.nodes[2].data_dir == "/data/n3");
    CHECK(c.authorized_keys == "/keys/ak");
    CHECK(c.insecure);
    CHECK(c.nodes[0].bind_host == "0.0.0.0");
    CHECK(c.nodes[1].host == "n2.internal");
    CHECK(c.nodes[1].api_endpoint() == "tcp://n2.internal:7201");
    CHECK(c.nodes[1].bind_endpoint(7201) == "tcp://0.0.0.0:7201");
    CHECK(c.nodes[0].host == "127.0.0.1");
  }
  SECTION("empty values count as unset") {
    REQUIRE(apply_environment(
        c, env_of({{"SLURP_DATA_DIR", ""}, {"SLURP_INSECURE", ""}})));
    CHECK(c.data_dir == "/etc/slurp/data");
    CHECK_FALSE(c.insecure);
  }
  SECTION("bad values are refused and change nothing") {
    const ClusterConfig before = c;
    Status s = apply_environment(
        c, env_of({{"SLURP_DATA_DIR", "/data"}, {"SLURP_INSECURE", "maybe"}}));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().field == "SLURP_INSECURE");
    CHECK_THAT(s.error().reason, Catch::Contains("(got 'maybe')"));
    CHECK(c.data_dir == before.data_dir);
    s = apply_environment(c, env_of({{"SLURP_HOST_N1", "tcp://x:1"}}));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().field == "SLURP_HOST_N1");
    s = apply_environment(c, env_of({{"SLURP_BIND_HOST", "a b"}}));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().field == "SLURP_BIND_HOST");
  }
  SECTION("the cross checks run again") {
    ClusterConfig same_ports =
        parse_ok(node("n1", 7101, "10.0.0.1") + node("n2", 7101, "10.0.0.2"));
    Status s =
        apply_environment(same_ports, env_of({{"SLURP_HOST_N2", "10.0.0.1"}}));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().field == "nodes[1].api_port");
    CHECK_THAT(s.error().reason,
               Catch::StartsWith("after environment overrides: port 7101"));
    std::string no_key = node("n1", 7101);
    no_key.erase(no_key.find("public_key"));
    ClusterConfig insecure = parse_ok("[cluster]\ninsecure = true\n" + no_key);
    s = apply_environment(insecure, env_of({{"SLURP_INSECURE", "0"}}));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().field == "nodes[0].public_key");
    CHECK(insecure.insecure);
  }
}

TEST_CASE("config: SLURP_HOST_<ID> names", "[config]") {
  CHECK(host_env_name("n1") == "SLURP_HOST_N1");
  CHECK(host_env_name("eu-west.n_2") == "SLURP_HOST_EU_WEST_N_2");
  ClusterConfig c = parse_ok(node("n-1", 7101) + node("n_1", 7201));
  Status s = apply_environment(c, env_of({{"SLURP_HOST_N_1", "h"}}));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().field == "SLURP_HOST_N_1");
  CHECK_THAT(s.error().reason, Catch::Contains("ambiguous"));
  // Unset, the collision does not matter.
  CHECK(apply_environment(c, env_of({})).ok());
}

TEST_CASE("config: discovery is --config, SLURP_CONFIG, ./cluster.toml",
          "[config]") {
  const GetEnv with_var = env_of({{"SLURP_CONFIG", "/env/cluster.toml"}});
  const GetEnv without = env_of({});
  const PathExists local = [](const fs::path& p) {
    return p == "cluster.toml";
  };
  const PathExists none = [](const fs::path&) { return false; };
  CHECK(discover_config("/flag.toml", with_var, local) == "/flag.toml");
  // A named file that is missing is still the answer: loading it reports
  // the error instead of silently using another file.
  CHECK(discover_config("/flag.toml", with_var, none) == "/flag.toml");
  CHECK(discover_config(std::nullopt, with_var, local) == "/env/cluster.toml");
  CHECK(discover_config("", with_var, local) == "/env/cluster.toml");
  CHECK(discover_config(std::nullopt, without, local) == "cluster.toml");
  CHECK(discover_config(std::nullopt, env_of({{"SLURP_CONFIG", ""}}), local) ==
        "cluster.toml");
  CHECK(discover_config(std::nullopt, without, none) == std::nullopt);
}

TEST_CASE("config: client key is --key, SLURP_KEY, cluster.client_key",
          "[config]") {
  const ClusterConfig with_key = parse_ok(
      "[cluster]\nclient_key = \"keys/admin.key\"\n" + node("n1", 7101));
  const ClusterConfig without_key = parse_ok(node("n1", 7101));
  const GetEnv with_var = env_of({{"SLURP_KEY", "/env/alice.key"}});
  const GetEnv without = env_of({});
  CHECK(discover_client_key("/flag.key", with_var, with_key) == "/flag.key");
  CHECK(discover_client_key(std::nullopt, with_var, with_key) ==
        "/env/alice.key");
  CHECK(discover_client_key("", with_var, with_key) == "/env/alice.key");
  // From the file, resolved against its directory like every other path.
  CHECK(discover_client_key(std::nullopt, without, with_key) ==
        "/etc/slurp/keys/admin.key");
  CHECK(discover_client_key(std::nullopt, env_of({{"SLURP_KEY", ""}}),
                            with_key) == "/etc/slurp/keys/admin.key");
  CHECK(discover_client_key(std::nullopt, without, without_key) ==
        std::nullopt);
  // A flag or variable path is taken as given, like any command-line path.
  CHECK(discover_client_key("keys/me.key", without, with_key) == "keys/me.key");
}

}  // namespace
}  // namespace slurp::config
