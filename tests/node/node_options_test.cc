#include "src/node/node_options.h"

#include <catch2/catch.hpp>

namespace slurp::node {
namespace {

constexpr const char* kThreeNodes = R"(
[cluster]
data_dir = "data"
[[nodes]]
id = "n1"
host = "10.0.0.1"
bind_host = "0.0.0.0"
api_port = 7101
events_port = 7102
jobs_port = 7103
results_port = 7104
public_key_z85 = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
[[nodes]]
id = "n2"
host = "10.0.0.2"
api_port = 7101
events_port = 7102
jobs_port = 7103
results_port = 7104
public_key_z85 = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
)";

config::ClusterConfig parse(const char* text) {
  auto parsed = config::parse_cluster_config(text, "cluster.toml", "/etc/s");
  REQUIRE(parsed.ok());
  return *parsed;
}

TEST_CASE("a node's options come from its entry and its peers'", "[options]") {
  auto options = node_options_from_config(parse(kThreeNodes), "n1");
  REQUIRE(options.ok());
  CHECK(options->node_id == "n1");
  CHECK(options->api_bind == "tcp://0.0.0.0:7101");
  CHECK(options->events_bind == "tcp://0.0.0.0:7102");
  CHECK(options->data_dir == "/etc/s/data/n1");
  REQUIRE(options->members.size() == 2);
  CHECK(options->members[1].id == "n2");
  CHECK(options->members[1].api_endpoint == "tcp://10.0.0.2:7101");
  CHECK(options->members[1].events_endpoint == "tcp://10.0.0.2:7102");
  CHECK(options->members[1].public_key_z85 ==
        "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID");
}

TEST_CASE("an unknown node id is not_found and lists the ids", "[options]") {
  auto options = node_options_from_config(parse(kThreeNodes), "n9");
  REQUIRE_FALSE(options.ok());
  CHECK(options.error().code == ErrorCode::not_found);
  CHECK(options.error().reason.find("n1, n2") != std::string::npos);
}

TEST_CASE("an insecure cluster of several nodes is refused", "[options]") {
  std::string text = std::string("[cluster]\ninsecure = true\n") +
                     (std::string(kThreeNodes)
                          .substr(std::string(kThreeNodes).find("[[nodes]]")));
  auto options = node_options_from_config(parse(text.c_str()), "n1");
  REQUIRE_FALSE(options.ok());
  CHECK(options.error().field == "cluster.insecure");
}

}  // namespace
}  // namespace slurp::node
