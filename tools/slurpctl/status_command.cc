// status, cluster, ping and keygen: looking at the cluster.
#include <cstdio>
#include <filesystem>

#include "bus/curve_keys.h"
#include "src/client/client.h"
#include "src/client/json_writer.h"
#include "tools/slurpctl/commands.h"
#include "tools/slurpctl/table.h"

namespace slurpctl {
namespace {

using slurp::ErrorCode;

std::string rate(double per_s) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f/s", per_s);
  return buffer;
}

std::string mib(std::uint64_t bytes) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f MiB",
                static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buffer;
}

void print_status(const slurp::StatusReply& s, const std::string& who) {
  using std::to_string;
  Table head = {
      {"answered by", who},
      {"leader", s.leader.value_or("(none)")},
      {"term", to_string(s.term)},
      {"commit index", to_string(s.commit_index)},
  };
  if (s.stale_ms) head.push_back({"stale_ms", to_string(*s.stale_ms)});
  // The answering node's own figures (ask with --stale --node X for X's).
  head.push_back(
      {"longest loop turn", to_string(s.loop_turn_max_ms) + " ms (" +
                                to_string(s.loop_turn_recent_max_ms) +
                                " ms in the last 10 s)"});
  head.push_back({"resident memory", mib(s.rss_bytes)});
  print_table(std::cout, head);
  Table members = {{"MEMBER", "STATE", "HEALTHY", "MATCH", "LAG"}};
  for (const auto& m : s.members) {
    members.push_back({m.node, m.state, m.healthy ? "yes" : "NO",
                       to_string(m.match_index), to_string(m.lag_entries)});
  }
  std::cout << "\n";
  print_table(std::cout, members);
  if (!s.queue.empty()) {
    Table queue = {{"PRIORITY", "QUEUED", "ACTIVE", "COMPLETED", "FAILED"}};
    // Highest first: what runs next is on top.
    for (auto q = s.queue.rbegin(); q != s.queue.rend(); ++q) {
      queue.push_back({std::string(slurp::enum_to_wire(q->priority)),
                       to_string(q->queued), to_string(q->active),
                       to_string(q->completed), to_string(q->failed)});
    }
    std::cout << "\n";
    print_table(std::cout, queue);
  }
  std::cout << "\n";
  if (s.workers.empty()) {
    std::cout << (s.leader && *s.leader == s.node
                      ? "workers: none heard from in the last 60 s\n"
                      : "workers: only the leader knows (ask without "
                        "--stale)\n");
  } else {
    Table workers = {{"WORKER", "COMPLETED", "FAILED", "LAST SEEN"}};
    for (const auto& w : s.workers) {
      workers.push_back({w.name, to_string(w.jobs_completed),
                         to_string(w.jobs_failed),
                         to_string(w.last_seen_ms_ago) + " ms ago"});
    }
    print_table(std::cout, workers);
  }
  std::cout << "\nrates: " << rate(s.completed_per_s) << " completed, "
            << rate(s.failed_per_s) << " failed (last 10 s)\n"
            << "queued " << s.queued_tasks << " (waiting on dependencies "
            << s.waiting_tasks << "), active " << s.active_tasks
            << "\ncache hits " << s.cache_hits << ", attached " << s.attached
            << ", retries " << s.retries << ", dead-lettered "
            << s.dead_lettered << ", generated twice "
            << s.duplicate_generations << "\n";
  if (s.audit_anchors) {
    Table anchors = {{"AUDIT LOG OF", "ANCHORED SEQ", "LOG INDEX", "NOTE"}};
    for (const auto& a : *s.audit_anchors) {
      std::string note;
      if (a.regressions > 0) {
        note = "reported seq " + to_string(a.last_regression_seq) +
               " after anchoring a higher one (" + to_string(a.regressions) +
               "x): records lost";
      }
      anchors.push_back(
          {a.node, to_string(a.seq), to_string(a.index), std::move(note)});
    }
    std::cout << "\n";
    print_table(std::cout, anchors);
  }
}

std::string status_json(const slurp::StatusReply& s,
                        const slurp::client::ClusterAnswer& answer) {
  slurp::client::JsonWriter w;
  w.begin_object().key("node").value(s.node);
  w.key("asked").value(answer.node.empty() ? s.node : answer.node);
  w.key("asked_endpoint").value(answer.endpoint);
  w.key("leader");
  if (s.leader) {
    w.value(*s.leader);
  } else {
    w.null();
  }
  w.key("term").value(s.term).key("commit_index").value(s.commit_index);
  if (s.stale_ms) w.key("stale_ms").value(*s.stale_ms);
  w.key("members").begin_array();
  for (const auto& m : s.members) {
    w.begin_object().key("node").value(m.node).key("state").value(m.state);
    w.key("healthy").value(m.healthy).key("match_index").value(m.match_index);
    w.key("lag_entries").value(m.lag_entries).end_object();
  }
  w.end_array().key("queue").begin_array();
  for (const auto& q : s.queue) {
    w.begin_object().key("priority").value(slurp::enum_to_wire(q.priority));
    w.key("queued").value(q.queued).key("active").value(q.active);
    w.key("completed").value(q.completed).key("failed").value(q.failed);
    w.end_object();
  }
  w.end_array().key("workers").begin_array();
  for (const auto& wk : s.workers) {
    w.begin_object().key("name").value(wk.name);
    w.key("jobs_completed").value(wk.jobs_completed);
    w.key("jobs_failed").value(wk.jobs_failed);
    w.key("last_seen_ms_ago").value(wk.last_seen_ms_ago).end_object();
  }
  // Rates as integers per 1000 s would be odd; JsonWriter has no doubles,
  // so they go as milli-per-second integers with a clear name.
  w.end_array()
      .key("completed_per_ks")
      .value(static_cast<std::uint64_t>(s.completed_per_s * 1000.0));
  w.key("failed_per_ks")
      .value(static_cast<std::uint64_t>(s.failed_per_s * 1000.0));
  w.key("queued_tasks").value(s.queued_tasks);
  w.key("active_tasks").value(s.active_tasks);
  w.key("waiting_tasks").value(s.waiting_tasks);
  w.key("cache_hits").value(s.cache_hits).key("attached").value(s.attached);
  w.key("retries").value(s.retries);
  w.key("dead_lettered").value(s.dead_lettered);
  w.key("duplicate_generations").value(s.duplicate_generations);
  w.key("loop_turn_max_ms").value(s.loop_turn_max_ms);
  w.key("loop_turn_recent_max_ms").value(s.loop_turn_recent_max_ms);
  w.key("rss_bytes").value(s.rss_bytes);
  w.key("audit_anchors").begin_array();
  for (const auto& a :
       s.audit_anchors.value_or(std::vector<slurp::AuditAnchorStatus>{})) {
    w.begin_object().key("node").value(a.node).key("seq").value(a.seq);
    w.key("epoch").value(a.epoch).key("mac").value(a.mac);
    w.key("time_ms").value(a.time_ms).key("index").value(a.index);
    w.key("regressions").value(a.regressions);
    w.key("last_regression_seq").value(a.last_regression_seq).end_object();
  }
  w.end_array().end_object();
  return w.str();
}

}  // namespace

int run_keygen(const std::string& dir, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(
        slurp::make_error(ErrorCode::bad_request,
                          "cannot create " + dir + ": " + ec.message(), "dir"),
        exit_usage);
  }
  auto pair = slurp::bus::generate_curve_keypair();
  if (!pair) return fail(pair.error(), exit_usage);
  if (auto s = slurp::bus::write_keypair(*pair, dir, name); !s) {
    return fail(s.error(), exit_usage);
  }
  std::cout << "wrote " << dir << "/" << name << ".key (secret, 0600) and "
            << dir << "/" << name << ".pub\n"
            << "public key: " << pair->public_z85 << "\n";
  return exit_ok;
}

int run_ping(const Flags& f) {
  slurp::client::ClusterAnswer answer;
  if (int code = ask<slurp::Pong>(f, slurp::Ping{}, answer); code != exit_ok) {
    return code;
  }
  const auto& pong = std::get<slurp::Pong>(answer.reply);
  std::cout << "pong from " << answered_by(answer, pong.node) << ": you are "
            << pong.peer_name << " (" << pong.peer_role << ")\n";
  return exit_ok;
}

int run_status(const Flags& f) {
  slurp::StatusRequest request;
  request.stale = f.stale;
  slurp::client::ClusterAnswer answer;
  if (int code = ask<slurp::StatusReply>(f, request, answer); code != exit_ok) {
    return code;
  }
  const auto& status = std::get<slurp::StatusReply>(answer.reply);
  if (f.json) {
    std::cout << status_json(status, answer) << "\n";
  } else {
    print_status(status, answered_by(answer, status.node));
  }
  return exit_ok;
}

// Every node of the config: its endpoints, whether it answers a ping
// itself, and what the leader says of it.
int run_cluster(const Flags& f) {
  auto tool = load_target(f);
  if (!tool) return fail(tool.error(), exit_usage);
  zmq::context_t context;
  auto options = call_options(f);
  options.node.reset();
  auto status = slurp::client::call_cluster(context, *tool,
                                            slurp::StatusRequest{}, options);
  const slurp::StatusReply* leader_view =
      status ? std::get_if<slurp::StatusReply>(&status->reply) : nullptr;
  Table rows = {{"NODE", "API", "EVENTS", "ANSWERS", "STATE", "LAG"}};
  int reachable = 0;
  slurp::client::JsonWriter w;
  w.begin_array();
  for (const auto& node : tool->nodes) {
    auto client = slurp::client::Client::connect(
        context, tool->client_options(
                     node, std::chrono::milliseconds(f.connect_timeout_ms),
                     std::chrono::milliseconds(f.connect_timeout_ms)));
    std::string answers = "no";
    if (client) {
      if (auto pong = (*client)->ping()) {
        answers = "yes";
        ++reachable;
      } else {
        answers =
            "no (" + std::string(slurp::error_name(pong.error().code)) + ")";
      }
    }
    std::string state = "?", lag = "";
    if (leader_view) {
      for (const auto& m : leader_view->members) {
        if (m.node != node.id) continue;
        state = m.state;
        lag = std::to_string(m.lag_entries);
      }
    }
    rows.push_back({node.id.empty() ? "(endpoint)" : node.id, node.api_endpoint,
                    node.events_endpoint, answers, state, lag});
    w.begin_object().key("node").value(node.id);
    w.key("api").value(node.api_endpoint);
    w.key("events").value(node.events_endpoint);
    w.key("answers").value(answers == "yes").key("state").value(state);
    w.end_object();
  }
  w.end_array();
  if (f.json) {
    std::cout << w.str() << "\n";
  } else {
    if (leader_view) {
      std::cout << "leader " << leader_view->leader.value_or("(none)")
                << ", term " << leader_view->term << "\n\n";
    } else {
      std::cout << "no leader answered: "
                << (status ? "an error" : status.error().describe()) << "\n\n";
    }
    print_table(std::cout, rows);
  }
  return reachable == 0 ? exit_unreachable : exit_ok;
}

}  // namespace slurpctl
