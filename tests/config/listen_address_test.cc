// metrics_listen: the HOST:PORT forms cluster.toml accepts for a listener
// (src/config/listen_address.h), and one case per way it can be wrong,
// each a bad_request naming the key.

#include "src/config/listen_address.h"

#include <catch2/catch.hpp>

#include "src/config/cluster_config.h"

namespace slurp::config {
namespace {

std::string node_with(const std::string& extra) {
  return "[[nodes]]\nid = \"n1\"\nhost = \"127.0.0.1\"\napi_port = 7101\n"
         "events_port = 7102\njobs_port = 7103\nresults_port = 7104\n"
         "public_key_z85 = \"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID\"\n" +
         extra;
}

TEST_CASE("listen address: IPv4, IPv6 and wildcard forms", "[config]") {
  auto v4 = parse_listen_address("127.0.0.1:9101");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 9101);
  CHECK(v4->text() == "127.0.0.1:9101");
  CHECK_FALSE(v4->any_interface());
  auto v6 = parse_listen_address("[::1]:9101");
  REQUIRE(v6);
  CHECK(v6->ipv6);
  CHECK(v6->host == "::1");
  CHECK(v6->text() == "[::1]:9101");
  CHECK(parse_listen_address("0.0.0.0:9101")->any_interface());
  CHECK(parse_listen_address("[::]:1")->any_interface());
}

TEST_CASE("listen address: refused forms say what is expected", "[config]") {
  for (const char* bad :
       {"", "9101", ":9101", "localhost:9101", "127.0.0.1", "127.0.0.1:",
        "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:91a", "::1:9101", "[::1]",
        "[localhost]:9101", "127.0.0.1:9101 ", "300.0.0.1:80"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_listen_address(bad));
    auto problem = listen_address_problem(bad);
    REQUIRE(problem);
    CHECK_THAT(*problem, Catch::StartsWith("must be HOST:PORT"));
  }
  CHECK_FALSE(listen_address_problem("127.0.0.1:9101"));
}

TEST_CASE("config: metrics_listen in [[nodes]] and [[workers]]", "[config]") {
  auto config = parse_cluster_config(
      node_with("metrics_listen = \"127.0.0.1:9101\"\n") +
          "[[workers]]\nid = \"w1\"\nmetrics_listen = \"[::1]:9201\"\n"
          "public_key_z85 = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\n",
      "cluster.toml", "/etc/slurp");
  REQUIRE(config);
  CHECK(config->nodes[0].metrics_listen == "127.0.0.1:9101");
  CHECK(config->workers[0].metrics_listen == "[::1]:9201");

  auto off = parse_cluster_config(node_with(""), "cluster.toml", "/etc");
  REQUIRE(off);
  CHECK(off->nodes[0].metrics_listen.empty());  // off unless configured

  auto bad = parse_cluster_config(node_with("metrics_listen = \"9101\"\n"),
                                  "cluster.toml", "/etc/slurp");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::bad_request);
  CHECK(bad.error().field == "nodes[0].metrics_listen");
  CHECK_THAT(bad.error().reason, Catch::StartsWith("cluster.toml:9:"));
  CHECK_THAT(bad.error().reason, Catch::Contains("(got \"9101\")"));

  auto typed = parse_cluster_config(node_with("metrics_listen = 9101\n"),
                                    "cluster.toml", "/etc/slurp");
  REQUIRE_FALSE(typed);
  CHECK(typed.error().field == "nodes[0].metrics_listen");
  CHECK_THAT(typed.error().reason,
             Catch::Contains("must be a string, not an integer"));
}

}  // namespace
}  // namespace slurp::config
