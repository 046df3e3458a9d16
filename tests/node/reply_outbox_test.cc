// ReplyOutbox against a fake socket: what a connection that never reads
// costs, and what happens to the others.
#include "src/node/reply_outbox.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

namespace slurp::node {
namespace {

// A socket whose pipe per connection holds `room` replies until "read".
struct FakeSocket {
  std::size_t room = 2;
  std::map<Bytes, std::size_t> in_pipe;
  std::map<Bytes, std::size_t> delivered;
  std::map<Bytes, bool> gone;

  ReplyOutbox::SendResult send(const Bytes& id, std::string_view) {
    if (gone[id]) return ReplyOutbox::SendResult::unroutable;
    if (in_pipe[id] >= room) return ReplyOutbox::SendResult::would_block;
    ++in_pipe[id];
    return ReplyOutbox::SendResult::sent;
  }
  void read_all(const Bytes& id) {
    delivered[id] += in_pipe[id];
    in_pipe[id] = 0;
  }
};

const Bytes kFlooder{1};
const Bytes kReader{2};
const ReplyOutbox::Budget kBudget{1000, 10};

ReplyOutbox make(FakeSocket& socket, std::size_t total_bytes_max = 1 << 20) {
  return ReplyOutbox(
      [&socket](const Bytes& id, bool, std::string_view body) {
        return socket.send(id, body);
      },
      total_bytes_max, 5000, 4);
}

TEST_CASE("replies go straight out while the connection reads", "[outbox]") {
  FakeSocket socket;
  ReplyOutbox outbox = make(socket);
  for (int i = 0; i < 100; ++i) {
    CHECK(outbox.send(kReader, false, "pong", kBudget, 0) ==
          ReplyOutbox::Outcome::sent);
    socket.read_all(kReader);
  }
  CHECK(socket.delivered[kReader] == 100);
  CHECK(outbox.backlog_bytes() == 0);
}

TEST_CASE("a connection that never reads is dropped at its budget",
          "[outbox]") {
  FakeSocket socket;
  ReplyOutbox outbox = make(socket);
  int dropped_at = -1;
  for (int i = 0; i < 1000; ++i) {
    auto outcome = outbox.send(kFlooder, false, std::string(50, 'x'), kBudget,
                               static_cast<std::uint64_t>(i));
    if (outcome == ReplyOutbox::Outcome::peer_dropped) {
      dropped_at = i;
      break;
    }
  }
  // 2 in the pipe, then 10 waiting (the message budget), the 13th drops.
  CHECK(dropped_at == 12);
  CHECK(outbox.backlog_bytes() == 0);
  CHECK(outbox.counters().peers_dropped == 1);
  // Later replies are discarded without touching the socket, until the
  // drop expires; then the connection is served again.
  CHECK(outbox.dropped(kFlooder, 100));
  CHECK(outbox.send(kFlooder, false, "x", kBudget, 100) ==
        ReplyOutbox::Outcome::discarded);
  CHECK_FALSE(outbox.dropped(kFlooder, 12 + 5000));
}

TEST_CASE(
    "the byte budget drops before the message budget when replies are "
    "big",
    "[outbox]") {
  FakeSocket socket;
  ReplyOutbox outbox = make(socket);
  const std::string page(400, 'p');
  CHECK(outbox.send(kFlooder, false, page, kBudget, 0) ==
        ReplyOutbox::Outcome::sent);
  CHECK(outbox.send(kFlooder, false, page, kBudget, 0) ==
        ReplyOutbox::Outcome::sent);
  CHECK(outbox.send(kFlooder, false, page, kBudget, 0) ==
        ReplyOutbox::Outcome::queued);
  CHECK(outbox.send(kFlooder, false, page, kBudget, 0) ==
        ReplyOutbox::Outcome::queued);
  CHECK(outbox.backlog_bytes() == 800);
  CHECK(outbox.send(kFlooder, false, page, kBudget, 0) ==
        ReplyOutbox::Outcome::peer_dropped);
  CHECK(outbox.backlog_bytes() == 0);
}

TEST_CASE("waiting replies go out in order once the connection reads",
          "[outbox]") {
  FakeSocket socket;
  ReplyOutbox outbox = make(socket);
  for (int i = 0; i < 8; ++i) {
    outbox.send(kReader, false, std::to_string(i), kBudget, 0);
  }
  CHECK(outbox.backlog_peers() == 1);
  socket.read_all(kReader);
  outbox.flush(100);
  CHECK(socket.in_pipe[kReader] == 2);
  socket.read_all(kReader);
  outbox.flush(100);
  socket.read_all(kReader);
  outbox.flush(100);
  socket.read_all(kReader);
  CHECK(socket.delivered[kReader] == 8);
  CHECK(outbox.backlog_peers() == 0);
  CHECK(outbox.backlog_bytes() == 0);
}

TEST_CASE("a flooder does not cost a reader its replies; the total is capped",
          "[outbox]") {
  FakeSocket socket;
  // Room for the flooder's backlog, not for a second one as large.
  ReplyOutbox outbox = make(socket, 600);
  for (int i = 0; i < 5; ++i) {
    outbox.send(kFlooder, false, std::string(100, 'f'), kBudget, 0);
  }
  CHECK(outbox.backlog_bytes() == 300);
  for (int i = 0; i < 20; ++i) {
    CHECK(outbox.send(kReader, false, "pong", kBudget, 0) ==
          ReplyOutbox::Outcome::sent);
    socket.read_all(kReader);
  }
  // The connection whose reply would pass the total is the one dropped.
  CHECK(outbox.send(kFlooder, false, std::string(400, 'f'), kBudget, 0) ==
        ReplyOutbox::Outcome::peer_dropped);
  CHECK(outbox.backlog_bytes() == 0);
}

TEST_CASE("a connection that went away is forgotten with its backlog",
          "[outbox]") {
  FakeSocket socket;
  ReplyOutbox outbox = make(socket);
  for (int i = 0; i < 6; ++i) outbox.send(kReader, false, "r", kBudget, 0);
  CHECK(outbox.backlog_bytes() == 4);
  socket.gone[kReader] = true;
  outbox.flush(100);
  CHECK(outbox.backlog_bytes() == 0);
  CHECK(outbox.backlog_peers() == 0);
}

TEST_CASE("a node peer over its budget loses that reply, not its connection",
          "[outbox]") {
  FakeSocket socket;
  ReplyOutbox outbox = make(socket);
  ReplyOutbox::Budget node_budget = kBudget;
  node_budget.drop_peer = false;
  for (int i = 0; i < 12; ++i) {
    outbox.send(kReader, false, std::string(50, 'n'), node_budget, 0);
  }
  CHECK(outbox.send(kReader, false, "over", node_budget, 0) ==
        ReplyOutbox::Outcome::discarded);
  CHECK_FALSE(outbox.dropped(kReader, 0));
  CHECK(outbox.backlog_bytes() == 500);  // what waited is still there
  socket.read_all(kReader);
  outbox.flush(100);
  CHECK(outbox.send(kReader, false, "next", node_budget, 0) ==
        ReplyOutbox::Outcome::queued);
}

TEST_CASE("the dropped list is bounded", "[outbox]") {
  FakeSocket socket;
  socket.room = 0;
  ReplyOutbox outbox = make(socket);
  const ReplyOutbox::Budget none{0, 0};
  for (std::uint8_t i = 0; i < 100; ++i) {
    CHECK(outbox.send(Bytes{i}, false, "x", none, i) ==
          ReplyOutbox::Outcome::peer_dropped);
  }
  // At most 4 remembered: the latest ones.
  CHECK(outbox.dropped(Bytes{99}, 100));
  CHECK_FALSE(outbox.dropped(Bytes{0}, 100));
}

}  // namespace
}  // namespace slurp::node
