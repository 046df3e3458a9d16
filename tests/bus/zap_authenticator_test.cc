// The ZAP handler spoken to directly, as libzmq would, over
// inproc://zeromq.zap.01 with a REQ socket: one case per malformed request.

#include "bus/zap_authenticator.h"

#include <catch2/catch.hpp>

#include "bus/curve_keys.h"
#include "bus/zap_properties.h"
#include "bus/zmtp_metadata.h"
#include "bus_test_support.h"

namespace slurp::bus::testing {
namespace {

using namespace std::string_literals;

struct ZapReply {
  std::vector<std::string> frames;
  std::string status() const { return frames.at(2); }
};

struct ZapFixture {
  ZapFixture() {
    Result<CurveKeyPair> pair = generate_curve_keypair();
    REQUIRE(pair.ok());
    alice = *pair;
    Result<CurveKeyPair> w = generate_curve_keypair();
    REQUIRE(w.ok());
    worker = *w;
    Result<AuthorizedKeys> keys =
        parse_authorized_keys(alice.public_z85 + " alice developer\n" +
                                  worker.public_z85 + " w1 worker\n",
                              "test");
    REQUIRE(keys.ok());
    zap = std::make_unique<ZapAuthenticator>(context, std::move(*keys), "",
                                             "slurp", false, audit.callback());
    REQUIRE(zap->start().ok());
    requester.set(zmq::sockopt::linger, 0);
    requester.connect(ZapAuthenticator::zap_endpoint);
  }

  ZapReply ask(const std::vector<std::string>& request) {
    for (std::size_t i = 0; i < request.size(); ++i) {
      requester.send(zmq::buffer(request[i]), i + 1 < request.size()
                                                  ? zmq::send_flags::sndmore
                                                  : zmq::send_flags::none);
    }
    zmq_pollitem_t item{requester.handle(), 0, ZMQ_POLLIN, 0};
    REQUIRE(poll_items({&item, 1}, std::chrono::milliseconds(deadline_ms)) ==
            1);
    ZapReply reply;
    bool more = true;
    while (more) {
      zmq::message_t frame;
      REQUIRE(requester.recv(frame, zmq::recv_flags::dontwait));
      reply.frames.push_back(frame.to_string());
      more = frame.more();
    }
    REQUIRE(reply.frames.size() == 6);
    CHECK(reply.frames[0] == "1.0");
    return reply;
  }

  std::string raw_alice() const { return *z85_key_to_raw(alice.public_z85); }

  zmq::context_t context;
  CurveKeyPair alice, worker;
  AuditLog audit;
  std::unique_ptr<ZapAuthenticator> zap;
  zmq::socket_t requester{context, zmq::socket_type::req};
};

TEST_CASE_METHOD(ZapFixture,
                 "ZAP: a known CURVE key gets 200, its name and a Role "
                 "metadata property",
                 "[bus][zap]") {
  ZapReply reply =
      ask({"1.0", "req-1", "slurp", "10.0.0.7", "", "CURVE", raw_alice()});
  // RFC 27: the reply echoes the request id.
  CHECK(reply.frames[1] == "req-1");
  CHECK(reply.status() == "200");
  CHECK(reply.frames[4] == "alice");
  auto metadata = decode_zmtp_metadata(reply.frames[5]);
  REQUIRE(metadata);
  CHECK(*metadata ==
        std::vector<MetadataProperty>{{"Role", "developer"},
                                      {"Slurp-Vouch", zap_vouch_token()}});
  CHECK(audit.wait_for([](const AuthDecision& d) {
    return d.accepted && d.peer_address == "10.0.0.7" && d.name == "alice";
  }));
}

TEST_CASE_METHOD(ZapFixture, "ZAP: refusals (400) carry no user id",
                 "[bus][zap]") {
  std::string other_key(32, 'x');
  SECTION("unknown key") {
    ZapReply reply =
        ask({"1.0", "r", "slurp", "10.0.0.7", "", "CURVE", other_key});
    CHECK(reply.status() == "400");
    CHECK(reply.frames[3] == "unknown key");
  }
  SECTION("wrong domain") {
    ZapReply reply =
        ask({"1.0", "r", "global", "10.0.0.7", "", "CURVE", raw_alice()});
    CHECK(reply.status() == "400");
  }
  SECTION("NULL mechanism without allow_null") {
    ZapReply reply = ask({"1.0", "r", "slurp", "10.0.0.7", "", "NULL"});
    CHECK(reply.status() == "400");
  }
  SECTION("PLAIN mechanism") {
    ZapReply reply =
        ask({"1.0", "r", "slurp", "10.0.0.7", "", "PLAIN", "alice", "pw"});
    CHECK(reply.status() == "400");
  }
  ZapReply last = ask({"1.0", "r", "slurp", "", "", "CURVE", other_key});
  CHECK(last.frames[4].empty());
  CHECK(last.frames[5].empty());
  CHECK(zap->accepted_count() == 0);
  CHECK(zap->refused_count() == 2);
}

TEST_CASE_METHOD(ZapFixture,
                 "ZAP: the work domain admits only workers and nodes",
                 "[bus][zap]") {
  // alice is a developer: she may use the api, never pull jobs.
  ZapReply refused =
      ask({"1.0", "r", "slurp.work", "10.0.0.7", "", "CURVE", raw_alice()});
  CHECK(refused.status() == "400");
  CHECK(refused.frames[3] ==
        "role developer may not take jobs or deliver "
        "results");
  CHECK(refused.frames[4].empty());
  ZapReply admitted = ask({"1.0", "r", "slurp.work", "10.0.0.7", "", "CURVE",
                           *z85_key_to_raw(worker.public_z85)});
  CHECK(admitted.status() == "200");
  CHECK(admitted.frames[4] == "w1");
  CHECK(audit.wait_for([](const AuthDecision& d) {
    return !d.accepted &&
           d.reason.find("may not take jobs") != std::string::npos;
  }));
}

TEST_CASE_METHOD(ZapFixture, "ZAP: malformed requests get 500", "[bus][zap]") {
  SECTION("too few frames") {
    CHECK(ask({"1.0", "r", "slurp"}).status() == "500");
  }
  SECTION("unknown version") {
    CHECK(ask({"2.0", "r", "slurp", "", "", "CURVE", raw_alice()}).status() ==
          "500");
  }
  SECTION("CURVE key of 31 bytes") {
    CHECK(ask({"1.0", "r", "slurp", "", "", "CURVE", std::string(31, 'k')})
              .status() == "500");
  }
  SECTION("CURVE with two credential frames") {
    CHECK(ask({"1.0", "r", "slurp", "", "", "CURVE", raw_alice(), "x"})
              .status() == "500");
  }
  SECTION("far too many frames; the handler stays in step") {
    std::vector<std::string> request(40, "x");
    request[0] = "1.0";
    CHECK(ask(request).status() == "500");
    CHECK(ask({"1.0", "r", "slurp", "", "", "CURVE", raw_alice()}).status() ==
          "200");
  }
  CHECK(audit.wait_for([](const AuthDecision& d) {
    return !d.accepted && d.status_code == 500;
  }));
}

TEST_CASE("ZAP: a second handler in the same context cannot start",
          "[bus][zap]") {
  zmq::context_t context;
  ZapAuthenticator first(context, {}, {}, "slurp", false, nullptr);
  ZapAuthenticator second(context, {}, {}, "slurp", false, nullptr);
  REQUIRE(first.start().ok());
  Status started = second.start();
  REQUIRE_FALSE(started.ok());
  CHECK_THAT(started.error().describe(),
             Catch::Contains("inproc://zeromq.zap.01"));
}

TEST_CASE("ZAP: stop is prompt, idempotent, and frees the endpoint",
          "[bus][zap]") {
  zmq::context_t context;
  ZapAuthenticator never_started(context, {}, {}, "slurp", false, nullptr);
  never_started.stop();
  {
    ZapAuthenticator zap(context, {}, {}, "slurp", false, nullptr);
    REQUIRE(zap.start().ok());
    auto begin = std::chrono::steady_clock::now();
    zap.stop();
    zap.stop();
    CHECK(std::chrono::steady_clock::now() - begin < std::chrono::seconds(1));
  }
  ZapAuthenticator again(context, {}, {}, "slurp", false, nullptr);
  CHECK(again.start().ok());
}

TEST_CASE("ZAP: reload without a configured file fails and keeps the table",
          "[bus][zap]") {
  zmq::context_t context;
  Result<CurveKeyPair> pair = generate_curve_keypair();
  REQUIRE(pair.ok());
  Result<AuthorizedKeys> keys =
      parse_authorized_keys(pair->public_z85 + " n1 node\n", "test");
  REQUIRE(keys.ok());
  ZapAuthenticator zap(context, std::move(*keys), {}, "slurp", false, nullptr);
  CHECK_FALSE(zap.reload().ok());
  CHECK(zap.key_count() == 1);
}

TEST_CASE("ZAP: reload from a missing file keeps the table", "[bus][zap]") {
  TempDir dir;
  zmq::context_t context;
  ZapAuthenticator zap(context, {}, dir / "nope", "slurp", false, nullptr);
  Status reloaded = zap.reload();
  REQUIRE_FALSE(reloaded.ok());
  CHECK(reloaded.error().code == ErrorCode::not_found);
}

}  // namespace
}  // namespace slurp::bus::testing
