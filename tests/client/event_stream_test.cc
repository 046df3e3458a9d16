// src/client/event_stream.h: items from every node come through, whichever
// of them is busy.
#include "src/client/event_stream.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>

#include "bus/socket.h"
#include "protocol/codec.h"

namespace slurp::client {
namespace {

using std::chrono::milliseconds;

// Three "nodes" publishing on inproc PUB sockets of the test's context.
struct ThreeNodes {
  zmq::context_t context;
  ToolConfig tool;
  std::vector<zmq::socket_t> pubs;

  ThreeNodes() {
    tool.insecure = true;
    for (int i = 1; i <= 3; ++i) {
      const std::string id = "n" + std::to_string(i);
      const std::string endpoint = "inproc://event-stream-test-" + id;
      pubs.push_back(
          bus::make_socket(context, zmq::socket_type::pub, bus::Insecure{}));
      pubs.back().bind(endpoint);
      tool.nodes.push_back({id, "", endpoint, "", "", ""});
    }
  }

  void beacon(std::size_t node, std::uint64_t seq) {
    Beacon b;
    b.node = tool.nodes[node].id;
    b.seq = seq;
    const std::string payload = encode(Message{b});
    pubs[node].send(zmq::buffer(std::string("beacon")),
                    zmq::send_flags::sndmore);
    pubs[node].send(zmq::buffer(payload));
  }
};

// Publishes on `node` until the stream yields something from it (PUB
// drops what it sends before the subscription arrives).
std::optional<StreamItem> first_from(ThreeNodes& nodes, EventStream& stream,
                                     std::size_t node) {
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  std::uint64_t seq = 1;
  while (std::chrono::steady_clock::now() < deadline) {
    nodes.beacon(node, seq++);
    if (auto item = stream.next(milliseconds(20))) return item;
  }
  return std::nullopt;
}

TEST_CASE("the middle of three nodes is read (round robin skipped it)") {
  ThreeNodes nodes;
  auto stream =
      EventStream::connect(nodes.context, nodes.tool, nodes.tool.nodes);
  REQUIRE(stream);
  // Only n2 publishes: the sweep must look at every source once.
  auto item = first_from(nodes, **stream, 1);
  REQUIRE(item);
  CHECK(item->source == "n2");
  CHECK(std::holds_alternative<Beacon>(item->item));
}

TEST_CASE("every node is read and a busy one starves none") {
  ThreeNodes nodes;
  auto stream =
      EventStream::connect(nodes.context, nodes.tool, nodes.tool.nodes);
  REQUIRE(stream);
  for (std::size_t node : {2u, 0u}) {
    auto item = first_from(nodes, **stream, node);
    REQUIRE(item);
    CHECK(item->source == nodes.tool.nodes[node].id);
  }
  REQUIRE(first_from(nodes, **stream, 1));
  while ((*stream)->next(milliseconds(50))) {
  }
  // n2 has 50 waiting when n1 and n3 publish one each: both come within
  // the next three items.
  for (std::uint64_t seq = 1; seq <= 50; ++seq) nodes.beacon(1, seq);
  nodes.beacon(0, 1);
  nodes.beacon(2, 1);
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    if (auto item = (*stream)->next(milliseconds(1000))) {
      seen.insert(item->source);
    }
  }
  CHECK(seen == std::set<std::string>{"n1", "n2", "n3"});
}

}  // namespace
}  // namespace slurp::client
