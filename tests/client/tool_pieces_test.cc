// The tools' pure pieces: JSON output and event-sequence gap tracking.
#include <catch2/catch.hpp>

#include "src/client/event_sequence.h"
#include "src/client/json_writer.h"

using namespace slurp::client;

TEST_CASE("JSON strings are escaped and invalid UTF-8 replaced", "[json]") {
  JsonWriter w;
  w.begin_object()
      .key("a")
      .value("x\"\\\n\x01")
      .key("b")
      .begin_array()
      .value(std::uint64_t{1})
      .value(true)
      .null()
      .begin_object()
      .end_object()
      .end_array()
      .key("u")
      .value("\xc3\xa9\xff\xe2\x82")
      .end_object();
  CHECK(w.str() ==
        "{\"a\":\"x\\\"\\\\\\n\\u0001\",\"b\":[1,true,null,{}],\"u\":"
        "\"\xc3\xa9\\ufffd\\ufffd\\ufffd\"}");
  CHECK(JsonWriter().value("\xed\xa0\x80").str() ==
        "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
  CHECK(JsonWriter().value("\xf0\x9f\x98\x80").str() == "\"\xf0\x9f\x98\x80\"");
  CHECK(JsonWriter().begin_array().end_array().str() == "[]");
}
TEST_CASE("event sequences: next, gaps, beacons, restarts", "[events]") {
  using K = SequenceVerdict::Kind;
  EventSequence s;
  CHECK(s.on_beacon("n1", 5).kind == K::first);
  CHECK(s.on_beacon("n1", 5).kind == K::repeat);
  CHECK(s.on_event("n1", 6).kind == K::next);
  auto g = s.on_event("n1", 9);
  CHECK(g.kind == K::gap);
  CHECK(g.missing_from == 7);
  CHECK(g.missing_to == 8);
  g = s.on_beacon("n1", 11);
  CHECK(g.kind == K::gap);
  CHECK(g.missing_from == 10);
  CHECK(g.missing_to == 11);
  CHECK(s.on_event("n1", 12).kind == K::next);
  auto r = s.on_event("n1", 1);
  CHECK(r.kind == K::restarted);
  CHECK(r.previous == 12);
  CHECK(s.on_beacon("n1", 0).kind == K::restarted);
  CHECK(s.on_event("n2", 3).kind == K::first);
  CHECK(s.on_event("n1", 1).kind == K::next);
  CHECK(*s.last("n1") == 1);
  CHECK(!s.last("n3"));
}
