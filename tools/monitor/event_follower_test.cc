// tools/monitor/event_follower.h: sequence order is kept while a gap is
// being fetched, and a fetch that fails ends the wait.
#include "tools/monitor/event_follower.h"

#include <array>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "bus/poll.h"
#include "bus/received_message.h"
#include "bus/socket.h"
#include "protocol/codec.h"

namespace slurp::monitor {
namespace {

struct Recorder final : FollowerSink {
  std::vector<std::string> seen;
  void event(const Event& e, bool fetched) override {
    seen.push_back("event " + std::to_string(e.seq) + (fetched ? " f" : ""));
  }
  void beacon(const Beacon& b) override {
    seen.push_back("beacon " + std::to_string(b.seq));
  }
  void gap(const std::string& node, std::uint64_t from,
           std::uint64_t to) override {
    seen.push_back("gap " + node + " " + std::to_string(from) + ".." +
                   std::to_string(to));
  }
  void lost(const std::string&, std::uint64_t, std::uint64_t,
            std::uint64_t) override {
    seen.push_back("lost");
  }
  void restart(const std::string&, std::uint64_t seq,
               std::uint64_t previous) override {
    seen.push_back("restart " + std::to_string(seq) + " after " +
                   std::to_string(previous));
  }
  void problem(const std::string&, const std::string&) override {
    seen.push_back("problem");
  }
};

// A node's api that answers fetch_events from `journal` (insecure, on an
// inproc endpoint of the test's context), on a thread of its own.
class FakeNode {
 public:
  FakeNode(zmq::context_t& context, const std::string& endpoint,
           std::vector<Event> journal)
      : router_(bus::make_socket(context, zmq::socket_type::router,
                                 bus::Insecure{})),
        journal_(std::move(journal)) {
    router_.bind(endpoint);
    thread_ = std::jthread([this](std::stop_token stop) { serve(stop); });
  }

 private:
  void serve(std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::array<zmq_pollitem_t, 1> items{
          zmq_pollitem_t{router_.handle(), 0, ZMQ_POLLIN, 0}};
      if (bus::poll_items(items, std::chrono::milliseconds(20)) == 0) continue;
      auto received = bus::receive_message(router_);
      if (!received || !*received) continue;
      auto& frames = received->value().frames;
      auto request = decode(
          std::string_view(frames.back().data<char>(), frames.back().size()));
      const auto* fetch =
          request ? std::get_if<FetchEvents>(&*request) : nullptr;
      if (fetch == nullptr) continue;
      EventsReply reply{fetch->id, 1, {}};
      for (const Event& e : journal_) {
        if (e.seq >= fetch->from_seq) reply.events.push_back(e);
      }
      const std::string payload = encode(Message{reply});
      router_.send(frames.front(), zmq::send_flags::sndmore);
      router_.send(zmq::buffer(payload));
    }
  }

  zmq::socket_t router_;  // the thread's once it runs
  std::vector<Event> journal_;
  std::jthread thread_;  // last: stopped and joined first
};

client::StreamItem event(const std::string& node, std::uint64_t seq) {
  Event e;
  e.topic = "job.queued";
  e.node = node;
  e.seq = seq;
  return {node, e};
}

// A node whose api nobody listens on: every fetch fails (after the
// connect timeout).
client::ToolConfig unreachable_cluster() {
  client::ToolConfig tool;
  tool.insecure = true;
  tool.nodes = {{"n1", "tcp://127.0.0.1:9", "", "", "", ""},
                {"n2", "tcp://127.0.0.1:9", "", "", "", ""}};
  return tool;
}

TEST_CASE("in-order events pass straight through and a restart is told") {
  zmq::context_t context;
  const client::ToolConfig tool = unreachable_cluster();
  Recorder sink;
  EventFollower follower(context, tool, {}, false, sink);
  follower.handle(event("n1", 5));
  follower.handle(event("n1", 6));
  follower.handle(event("n1", 1));
  CHECK_FALSE(follower.fetching());
  CHECK(sink.seen == std::vector<std::string>{"event 5", "event 6",
                                              "restart 1 after 6", "event 1"});
}

TEST_CASE("items after a gap wait for its fetch but other nodes do not") {
  zmq::context_t context;
  const client::ToolConfig tool = unreachable_cluster();
  Recorder sink;
  EventFollower follower(context, tool, {}, false, sink);
  follower.handle(event("n1", 1));
  follower.handle(event("n1", 4));  // 2..3 missed
  follower.handle(event("n1", 5));
  follower.handle(event("n2", 1));
  REQUIRE(follower.fetching());
  CHECK(sink.seen ==
        std::vector<std::string>{"event 1", "gap n1 2..3", "event 1"});
  follower.fetch_round();  // fails: the held items come out in order
  CHECK_FALSE(follower.fetching());
  CHECK(sink.seen == std::vector<std::string>{"event 1", "gap n1 2..3",
                                              "event 1", "problem", "event 4",
                                              "event 5"});
}

TEST_CASE("history: each node's kept events come first") {
  zmq::context_t context;
  const client::ToolConfig tool = unreachable_cluster();
  Recorder sink;
  EventFollower follower(context, tool, {"n1"}, true, sink);
  REQUIRE(follower.fetching());  // before anything arrived
  follower.handle(event("n1", 10));
  follower.handle(event("n2", 3));  // not asked for: passes
  CHECK(sink.seen == std::vector<std::string>{"event 3"});
  // The node is unreachable: its history is asked for again on its first
  // event, which waits for that second attempt.
  follower.fetch_round();
  CHECK(follower.fetching());
  follower.fetch_round();
  CHECK_FALSE(follower.fetching());
  CHECK(sink.seen ==
        std::vector<std::string>{"event 3", "problem", "problem", "event 10"});
}

TEST_CASE("history: what came live meanwhile is not passed on twice") {
  zmq::context_t context;
  client::ToolConfig tool;
  tool.insecure = true;
  tool.nodes = {{"n1", "inproc://follower-test-n1", "", "", "", ""}};
  std::vector<Event> journal;
  for (std::uint64_t seq = 1; seq <= 5; ++seq) {
    journal.push_back(std::get<Event>(event("n1", seq).item));
  }
  FakeNode node(context, tool.nodes[0].api_endpoint, journal);
  Recorder sink;
  EventFollower follower(context, tool, {"n1"}, true, sink);
  // Published while the history is fetched: a beacon naming seq 3 (an
  // old one, which must not look like a restart), events 4 and 5 (also in
  // the history) and 6 (new).
  Beacon beacon;
  beacon.node = "n1";
  beacon.seq = 3;
  follower.handle({"n1", beacon});
  for (std::uint64_t seq = 4; seq <= 6; ++seq) {
    follower.handle(event("n1", seq));
  }
  for (int round = 0; round < 5 && follower.fetching(); ++round) {
    follower.fetch_round();
  }
  CHECK_FALSE(follower.fetching());
  CHECK(sink.seen == std::vector<std::string>{"event 1 f", "event 2 f",
                                              "event 3 f", "event 4 f",
                                              "event 5 f", "event 6"});
  // And on from there as usual.
  follower.handle(event("n1", 7));
  CHECK(sink.seen.back() == "event 7");
}

}  // namespace
}  // namespace slurp::monitor
