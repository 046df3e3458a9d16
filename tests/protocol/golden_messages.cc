#include "golden_messages.h"

namespace slurp::testing {
namespace {

Context sample_context() {
  Context c;
  c.address = "ucxl://any:developer@project:main/*^/src/main.go";
  c.version = 3;
  c.content_hash =
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  c.language = "go";
  c.summary = "Entry point of the project server.";
  c.purpose = "starts the HTTP server";
  c.technologies = {"net/http"};
  c.tags = {"entry_point"};
  c.symbols = {Symbol{"main", "function", 12}};
  c.imports = {"fmt", "net/http"};
  c.metrics = Metrics{40, 6, 5, 1234};
  c.todos = {"handle SIGTERM"};
  c.license = "MIT";
  c.engine = "builtin";
  c.engine_version = "1.0.0";
  c.generated_at_ms = 1795000000000;
  c.confidence = 0.75;
  c.languages = {LanguageShare{"go", 1, 40}};
  return c;
}

Endpoints sample_endpoints() {
  return {"tcp://127.0.0.1:7101", "tcp://127.0.0.1:7102",
          "tcp://127.0.0.1:7103", "tcp://127.0.0.1:7104"};
}

std::vector<std::pair<std::string, Message>> client_messages() {
  Generate generate{7,
                    "req-42",
                    "ucxl://project/src/main.go",
                    Bytes{'p', 'a', 'c', 'k', 'a', 'g', 'e'},
                    std::nullopt,
                    "/project/src/main.go",
                    Priority::high,
                    {"ucxl://project/src/util.go"},
                    1795000060000,
                    true};
  StatusReply status;
  status.id = 9;
  status.node = "n1";
  status.leader = "n1";
  status.term = 4;
  status.commit_index = 120;
  status.members = {MemberStatus{"n1", "leader", true, 120, 0},
                    MemberStatus{"n2", "follower", true, 118, 2}};
  status.queue = {QueueCounts{Priority::high, 3, 1, 10, 0}};
  status.active_tasks = 1;
  status.queued_tasks = 3;
  status.waiting_tasks = 2;
  status.cache_hits = 5;
  status.attached = 1;
  status.retries = 2;
  status.dead_lettered = 0;
  status.duplicate_generations = 1;
  status.workers = {WorkerStatus{"w1", 40, 1, 120}};
  status.completed_per_s = 12.5;
  status.failed_per_s = 0.25;
  status.loop_turn_max_ms = 38;
  status.loop_turn_recent_max_ms = 12;
  status.rss_bytes = 52428800;
  return {
      {"ping", Ping{1}},
      {"pong", Pong{1, "n1", "alice", "developer", 1795000000000}},
      {"generate", generate},
      {"generate_reply", GenerateReply{7, 1001, "queued"}},
      {"job_done", JobDone{7, 1001, "failed", "engine timed out"}},
      {"status", StatusRequest{9, true}},
      {"status_reply", status},
      {"get", GetContext{11, "ucxl://project/src/main.go", false}},
      {"context", ContextReply{11, sample_context()}},
      {"list", ListContexts{15, "ucxl://project/src/", "", 2, false}},
      {"list_reply",
       ListReply{15,
                 {sample_context()},
                 "ucxl://any:developer@project:main/*^/src/main.go"}},
      {"job", JobQuery{16, 1001, false}},
      {"job_reply", JobReply{16,
                             1001,
                             "ucxl://any:any@project:any/*^/src/main.go",
                             "failed",
                             Priority::high,
                             3,
                             "engine timed out",
                             1795000000000,
                             1795000004000,
                             {"ucxl://any:any@project:any/*^/src/util.go"},
                             0}},
      {"cancel", Cancel{12, 1001}},
      {"cancel_reply", CancelReply{12, 1001, "cancelled"}},
      {"update_context", UpdateContext{13, sample_context()}},
      {"update_reply",
       UpdateReply{13, "ucxl://any:developer@project:main/*^/src/main.go", 4}},
      {"fetch_events", FetchEvents{14, 100, 50}},
      {"error", ErrorReply{15, 6, "not_leader", "ask n2", std::nullopt, "n2",
                           "tcp://127.0.0.1:7201"}},
  };
}

std::vector<std::pair<std::string, Message>> cluster_messages() {
  Event event{"job.completed",
              "n1",
              4,
              57,
              1795000000500,
              Attributes{{"job_id", "1001"}, {"address", "ucxl://p/a.go"}}};
  Append append{
      4, "n1", 119, 4, 118, {LogEntry{120, 4, 1, Bytes{0x01, 0x02, 0x03}}}, 31};
  Job job;
  job.job_id = 1001;
  job.attempt = 1;
  job.lease_ms = 30000;
  job.address = "ucxl://project/src/main.go";
  job.role = "developer";
  job.priority = Priority::high;
  job.content = Bytes{'x'};
  job.file_path = "/project/src/main.go";
  job.depends_on = {"ucxl://project/src/util.go"};
  job.content_hash =
      "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
  job.failed_dependencies = {"ucxl://project/src/util.go"};
  Context dependency;
  dependency.address = "ucxl://project/src/util.go";
  dependency.language = "go";
  dependency.summary = "String helpers.";
  dependency.metrics = Metrics{20, 2, 3, 512};
  dependency.languages = {LanguageShare{"go", 1, 20}};
  job.dependencies = {dependency};
  JobResult good{1001, 1, 4, true, sample_context(), std::nullopt};
  JobResult bad{1002, 2, 4, false, std::nullopt, "unreadable file"};
  return {
      {"event", event},
      {"events_reply", EventsReply{14, 90, {event}}},
      {"beacon", Beacon{"n1", 4, "n1", sample_endpoints(), 120, 58}},
      {"vote", Vote{5, "n2", 120, 4, true}},
      {"vote_reply", VoteReply{5, "n3", true, true}},
      {"append", append},
      {"append_reply", AppendReply{4, "n2", true, 120, 0, 0, 31}},
      {"snapshot_chunk",
       SnapshotChunk{4, "n1", 100, 3, 0, 6, Bytes{'s', 'n', 'a', 'p'},
                     0x8a9136aa, false}},
      {"snapshot_reply", SnapshotReply{4, "n3", 4, false}},
      {"timeout_now", TimeoutNow{4, "n1"}},
      {"forward",
       Forward{77, 4, "alice", "developer", Bytes{0x81, 0xa1, 'v', 0x01}}},
      {"forward_reply", ForwardReply{77, Bytes{0x80}}},
      {"audit_anchor",
       AuditAnchorRequest{
           78, "n2", 1500, 3,
           "9f2c4e1a7b3d5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef",
           1210,
           "0d1e2f30415263748596a7b8c9daebfc0d1e2f30415263748596a7b8c9daebfc"}},
      {"audit_anchor_reply", AuditAnchorReply{78, "n2", 1500, "anchored"}},
      {"jobs", JobBatch{4, "n1", {job}}},
      {"results", ResultBatch{"w1", {good, bad}}},
  };
}

}  // namespace

std::vector<std::pair<std::string, Message>> golden_messages() {
  auto all = client_messages();
  for (auto& entry : cluster_messages()) all.push_back(std::move(entry));
  return all;
}

}  // namespace slurp::testing
