// Audit anchors in the replicated state ("Audit anchors" in
// src/state/state_machine.h): a node's attested audit head only moves
// forward, a report that goes back is refused and counted, the map is
// bounded, and anchors travel in snapshots (old snapshots have none).
#include <catch2/catch.hpp>
#include <string>

#include "protocol/limits.h"
#include "protocol/record_codec.h"
#include "src/state/snapshot_format.h"
#include "src/state/snapshot_frames.h"
#include "state_driver.h"

namespace slurp::state {
namespace {

using testing::Driver;

std::string mac_of(char c) {
  return std::string(64, c);
}

// From a process that opened an empty log, unless `opened` says otherwise.
AuditAnchorCommand anchor(std::string node, std::uint64_t seq, char mac,
                          std::uint64_t time_ms = 5000,
                          std::uint64_t opened_seq = 0, char opened_mac = 0) {
  return AuditAnchorCommand{std::move(node),
                            seq,
                            seq / 10,
                            mac_of(mac),
                            time_ms,
                            opened_seq,
                            opened_seq == 0 ? "" : mac_of(opened_mac)};
}

ApplyOutcome apply(Driver& d, const AuditAnchorCommand& c) {
  return d.command(CommandKind::audit_anchor, c);
}

// A core record as written before anchors existed: every field of
// SnapshotData but audit_anchors.
struct SnapshotWithoutAnchors {
  SnapshotData data;
  template <class V>
  void fields(V& v) {
    v.req("format", data.format);
    v.req("applied_index", data.applied_index);
    v.req("next_job_id", data.next_job_id);
    v.req("jobs", data.jobs);
    v.req("context_count", data.context_count);
    v.req("requests", data.requests);
    v.req("ended_order", data.ended_order);
    v.req("forgotten_ended", data.forgotten_ended);
    v.req("counters", data.counters);
  }
};

}  // namespace

TEST_CASE("an anchor records the node's head with the entry's index",
          "[state][audit_anchor]") {
  Driver d;
  d.noop();
  ApplyOutcome out = apply(d, anchor("n2", 1500, 'a', 7000));
  REQUIRE_FALSE(out.error);
  CHECK(out.outcome == "anchored");
  const auto& anchors = d.sm.audit_anchors();
  REQUIRE(anchors.size() == 1);
  const AuditAnchorRecord& a = anchors.at("n2");
  CHECK(a.node == "n2");
  CHECK(a.seq == 1500);
  CHECK(a.epoch == 150);
  CHECK(a.mac_hex == mac_of('a'));
  CHECK(a.time_ms == 7000);
  CHECK(a.index == 2);
  CHECK(a.regressions == 0);

  out = apply(d, anchor("n2", 1600, 'b', 8000));
  CHECK(out.outcome == "anchored");
  CHECK(d.sm.audit_anchors().at("n2").seq == 1600);
  CHECK(d.sm.audit_anchors().at("n2").index == 3);
}

TEST_CASE("a lower seq never replaces the attested head; it is counted",
          "[state][audit_anchor]") {
  Driver d;
  apply(d, anchor("n2", 1500, 'a'));
  ApplyOutcome out = apply(d, anchor("n2", 1200, 'c', 9000));
  REQUIRE_FALSE(out.error);
  CHECK(out.outcome == "regressed");
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].topic == "audit.anchor_regressed");
  CHECK(out.events[0].attrs.at("seq") == "1200");
  CHECK(out.events[0].attrs.at("anchored_seq") == "1500");
  const AuditAnchorRecord& a = d.sm.audit_anchors().at("n2");
  CHECK(a.seq == 1500);
  CHECK(a.mac_hex == mac_of('a'));
  CHECK(a.index == 1);
  CHECK(a.regressions == 1);
  CHECK(a.last_regression_seq == 1200);
  CHECK(a.last_regression_ms == 9000);

  SECTION("another record at the attested seq is a regression too") {
    CHECK(apply(d, anchor("n2", 1500, 'e')).outcome == "regressed");
    CHECK(d.sm.audit_anchors().at("n2").mac_hex == mac_of('a'));
    CHECK(d.sm.audit_anchors().at("n2").regressions == 2);
  }
  SECTION("the same head again changes nothing") {
    CHECK(apply(d, anchor("n2", 1500, 'a')).outcome == "unchanged");
    CHECK(d.sm.audit_anchors().at("n2").regressions == 1);
    CHECK(d.sm.audit_anchors().at("n2").index == 1);
  }
  SECTION("a later head moves on and keeps the evidence") {
    CHECK(apply(d, anchor("n2", 1501, 'd')).outcome == "anchored");
    CHECK(d.sm.audit_anchors().at("n2").seq == 1501);
    CHECK(d.sm.audit_anchors().at("n2").regressions == 1);
  }
}

TEST_CASE("a restart from a file cut below the attested head is caught",
          "[state][audit_anchor]") {
  Driver d;
  apply(d, anchor("n2", 1500, 'a'));
  SECTION("even when the new process has written past the attested seq") {
    // The file ended at 1200 when it was opened; new records took it on.
    ApplyOutcome out = apply(d, anchor("n2", 1600, 'b', 9000, 1200, 'c'));
    CHECK(out.outcome == "regressed");
    REQUIRE(out.events.size() == 1);
    CHECK(out.events[0].attrs.at("seq") == "1200");
    const AuditAnchorRecord& a = d.sm.audit_anchors().at("n2");
    CHECK(a.regressions == 1);
    CHECK(a.last_regression_seq == 1200);
    // Its head is still anchored: what it writes from now on is protected.
    CHECK(a.seq == 1600);
    // Counted once per process: its next anchor is an ordinary one.
    CHECK(apply(d, anchor("n2", 1700, 'd', 9500, 1200, 'c')).outcome ==
          "anchored");
    CHECK(d.sm.audit_anchors().at("n2").regressions == 1);
  }
  SECTION("another record at the attested seq when opened") {
    CHECK(apply(d, anchor("n2", 1600, 'b', 9000, 1500, 'e')).outcome ==
          "regressed");
    CHECK(d.sm.audit_anchors().at("n2").regressions == 1);
  }
  SECTION("an honest restart: the file held the attested record") {
    CHECK(apply(d, anchor("n2", 1600, 'b', 9000, 1500, 'a')).outcome ==
          "anchored");
    CHECK(apply(d, anchor("n3", 10, 'b', 9000, 7, 'c')).outcome == "anchored");
    CHECK(apply(d, anchor("n2", 1700, 'd', 9900, 1650, 'f')).outcome ==
          "anchored");
    CHECK(d.sm.audit_anchors().at("n2").regressions == 0);
  }
}

TEST_CASE("nodes anchor independently, and at most audit_anchor_nodes_max",
          "[state][audit_anchor]") {
  Driver d;
  for (std::size_t i = 0; i < limits::audit_anchor_nodes_max; ++i) {
    REQUIRE_FALSE(apply(d, anchor("n" + std::to_string(i), 10, 'a')).error);
  }
  ApplyOutcome out = apply(d, anchor("one-too-many", 10, 'a'));
  REQUIRE(out.error);
  CHECK(out.error->code == ErrorCode::conflict);
  CHECK(d.sm.audit_anchors().size() == limits::audit_anchor_nodes_max);
  CHECK(d.sm.audit_anchors().count("one-too-many") == 0);
  // A node already anchored still moves on when the map is full.
  CHECK(apply(d, anchor("n0", 11, 'b')).outcome == "anchored");
}

TEST_CASE("malformed anchors are refused alike on every node",
          "[state][audit_anchor]") {
  Driver d;
  AuditAnchorCommand bad = anchor("n1", 5, 'a');
  bad.mac_hex = "ABC";
  ApplyOutcome out = apply(d, bad);
  REQUIRE(out.error);
  CHECK(out.error->field == "mac");
  bad = anchor("", 5, 'a');
  CHECK(apply(d, bad).error->field == "node");
  bad = anchor("n1", 0, 'a');
  CHECK(apply(d, bad).error->field == "seq");
  bad = anchor("n1", 5, 'a', 1000, 6, 'b');  // opened after the head
  CHECK(apply(d, bad).error->field == "opened_seq");
  bad = anchor("n1", 5, 'a', 1000, 3, 'b');
  bad.opened_mac = "x";
  CHECK(apply(d, bad).error->field == "opened_seq");
  CHECK(d.sm.audit_anchors().empty());
}

TEST_CASE("anchors travel in snapshots; an old snapshot has none",
          "[state][audit_anchor][snapshot]") {
  Driver d;
  d.enqueue("r1");
  apply(d, anchor("n1", 40, 'a'));
  apply(d, anchor("n3", 90, 'b'));
  apply(d, anchor("n3", 12, 'c'));  // a regression, kept as evidence

  StateMachine restored;
  REQUIRE(restored.restore(d.sm.snapshot()).ok());
  CHECK(restored == d.sm);
  CHECK(restored.audit_anchors() == d.sm.audit_anchors());
  CHECK(restored.audit_anchors().at("n3").regressions == 1);
  CHECK(restored.snapshot() == d.sm.snapshot());

  Result<SnapshotParts> parts = decode_snapshot(d.sm.snapshot());
  REQUIRE(parts);
  std::optional<SnapshotData> data = parts->core;
  SnapshotWithoutAnchors old{*data};
  Bytes old_bytes;
  append_frame(old_bytes, encode_record(old));
  for (const StoredContext& c : parts->contexts) {
    append_frame(old_bytes, encode_record(c));
  }
  StateMachine from_old;
  REQUIRE(from_old.restore(old_bytes).ok());
  CHECK(from_old.audit_anchors().empty());
  CHECK(from_old.job(1) != nullptr);

  SECTION("a snapshot listing a node twice is refused") {
    data->audit_anchors.push_back(data->audit_anchors.back());
    StateMachine sm;
    Status s = sm.restore(encode_snapshot({*data, parts->contexts}));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().field == "audit_anchors[2].node");
  }
}

}  // namespace slurp::state
