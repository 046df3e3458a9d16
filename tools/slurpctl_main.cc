// slurpctl: the command-line client. Uses only the public client library
// (src/client) and the key-file functions any client needs.
//
// Two ways to name what to talk to:
//   --config FILE (or $SLURP_CONFIG, ./cluster.toml): the cluster's nodes,
//     their keys and ours (docs/CONFIG.md); requests go to --node, else to
//     the nodes in file order until one answers.
//   --endpoint / --server-key / --key: one node, no config file.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "bus/curve_keys.h"
#include "src/client/client.h"
#include "src/client/cluster_call.h"
#include "src/client/json_writer.h"
#include "src/client/tool_config.h"

namespace {

using slurp::Error;
using slurp::ErrorCode;
using slurp::Message;

// Also in --help (kExitCodes): scripts switch on these.
enum Exit : int {
  exit_ok = 0,
  exit_usage = 1,        // bad flags, config or key files
  exit_refused = 2,      // a node answered with an error
  exit_unreachable = 3,  // no node answered
};

constexpr const char* kExitCodes =
    "Exit codes: 0 ok; 1 usage or config error; 2 the cluster answered with "
    "an error; 3 no node reachable.";

struct Flags {
  std::string config;  // global
  std::string endpoint = "tcp://127.0.0.1:7101";
  std::string server_key;  // the node's .pub file
  std::string key;         // our .key file
  bool insecure = false;
  int timeout_ms = 7000;
  int connect_timeout_ms = 1000;
  std::string node;
  bool json = false;
  bool stale = false;
  // Set when --endpoint or --server-key was given: one node, no config.
  bool direct = false;
};

// What the user can do about each error, printed under the error itself.
std::string advice(ErrorCode code) {
  switch (code) {
    case ErrorCode::timeout:
      return "check that the node runs, the endpoint is right and our public "
             "key is in its authorized-keys file";
    case ErrorCode::forbidden:
      return "this key's role may not do that; use a key with a larger role";
    case ErrorCode::unauthenticated:
      return "the node could not authenticate this connection";
    case ErrorCode::unavailable:
      return "this node does not serve that request now; try another node";
    case ErrorCode::no_quorum:
      return "no leader right now (election, or a majority down); retry";
    case ErrorCode::not_leader:
      return "ask the leader it names, or use --config to let slurpctl find "
             "it";
    default: return "";
  }
}

int fail(const Error& error, int exit_code) {
  std::cerr << "slurpctl: " << error.describe() << "\n";
  std::string hint = advice(error.code);
  if (!hint.empty()) std::cerr << "  hint: " << hint << "\n";
  return exit_code;
}

// A node's error reply: who said it, what, and where the leader is.
int fail_reply(const slurp::client::ClusterAnswer& answer,
               const slurp::ErrorReply& reply) {
  const std::string who = answer.node.empty() ? answer.endpoint : answer.node;
  std::cerr << "slurpctl: " << who << " answered " << reply.name << ": "
            << reply.message;
  if (reply.field) std::cerr << " (field " << *reply.field << ")";
  if (reply.leader) std::cerr << " (leader " << *reply.leader;
  if (reply.leader && reply.leader_endpoint) {
    std::cerr << " at " << *reply.leader_endpoint;
  }
  if (reply.leader) std::cerr << ")";
  std::cerr << "\n";
  if (auto code = slurp::error_code_from_number(reply.code)) {
    std::string hint = advice(*code);
    if (!hint.empty()) std::cerr << "  hint: " << hint << "\n";
  }
  return exit_refused;
}

// One node given by flags: no config file involved.
slurp::Result<slurp::client::ToolConfig> direct_target(const Flags& f) {
  slurp::client::ToolConfig tool;
  tool.insecure = f.insecure;
  slurp::client::NodeTarget node{"", f.endpoint, "", "", "", ""};
  if (!f.insecure) {
    if (f.server_key.empty() || f.key.empty()) {
      return slurp::make_error(ErrorCode::bad_request,
                               "--server-key and --key are required with "
                               "--endpoint (or --insecure)");
    }
    auto server = slurp::bus::load_public_key(f.server_key);
    if (!server) return server.error();
    auto keys = slurp::bus::load_keypair(f.key);
    if (!keys) return keys.error();
    node.public_key_z85 = *server;
    tool.keys = *keys;
  }
  tool.nodes.push_back(std::move(node));
  return tool;
}

slurp::Result<slurp::client::ToolConfig> load_target(const Flags& f) {
  if (f.direct) return direct_target(f);
  slurp::client::ToolFlags flags;
  flags.config = f.config;  // found already (main)
  if (!f.key.empty()) flags.key = f.key;
  flags.insecure = f.insecure;
  auto tool =
      slurp::client::load_tool_config(flags, slurp::config::process_getenv);
  if (!tool) return tool.error();
  if (!f.node.empty() && tool->find_node(f.node) == nullptr) {
    std::string ids;
    for (const auto& n : tool->nodes) ids += (ids.empty() ? "" : ", ") + n.id;
    return slurp::make_error(ErrorCode::not_found,
                             "no node '" + f.node + "' in " +
                                 tool->config_path.string() + " (it has " +
                                 ids + ")",
                             "--node");
  }
  return tool;
}

// Sends `request` as the flags say; on success `answer` holds a reply of
// the wanted type (Reply) and the result is exit_ok.
template <class Reply>
int ask(const Flags& f, const Message& request,
        slurp::client::ClusterAnswer& answer) {
  auto tool = load_target(f);
  if (!tool) return fail(tool.error(), exit_usage);
  if (tool->insecure) {
    std::cerr << "slurpctl: WARNING: insecure: plaintext, unauthenticated\n";
  }
  slurp::client::ClusterCallOptions options;
  if (!f.node.empty()) options.node = f.node;
  options.timeout_per_node = std::chrono::milliseconds(f.timeout_ms);
  options.connect_timeout_per_node =
      std::chrono::milliseconds(f.connect_timeout_ms);
  zmq::context_t context;
  auto result = slurp::client::call_cluster(context, *tool, request, options);
  if (!result) return fail(result.error(), exit_unreachable);
  answer = std::move(*result);
  if (auto* error = std::get_if<slurp::ErrorReply>(&answer.reply)) {
    return fail_reply(answer, *error);
  }
  if (!std::holds_alternative<Reply>(answer.reply)) {
    return fail(slurp::make_error(
                    ErrorCode::internal,
                    "unexpected reply type '" +
                        std::string(slurp::message_type(answer.reply)) + "'",
                    "type"),
                exit_refused);
  }
  return exit_ok;
}

// "n3", or "n3 (asked n1 at tcp://...)" when the node asked passed the
// request on (a follower forwards to the leader).
std::string answered_by(const slurp::client::ClusterAnswer& answer,
                        const std::string& node) {
  if (answer.node.empty() || answer.node == node) {
    return node + " (" + answer.endpoint + ")";
  }
  return node + " (asked " + answer.node + " at " + answer.endpoint + ")";
}

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

// Columns padded to their widest cell, two spaces apart.
void print_table(std::ostream& out,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

void print_status(const slurp::StatusReply& s, const std::string& who) {
  using std::to_string;
  std::vector<std::vector<std::string>> head = {
      {"answered by", who},
      {"leader", s.leader.value_or("(none)")},
      {"term", to_string(s.term)},
      {"commit index", to_string(s.commit_index)},
  };
  if (s.stale_ms) head.push_back({"stale_ms", to_string(*s.stale_ms)});
  print_table(std::cout, head);
  std::vector<std::vector<std::string>> members = {
      {"MEMBER", "STATE", "HEALTHY", "MATCH", "LAG"}};
  for (const auto& m : s.members) {
    members.push_back({m.node, m.state, m.healthy ? "yes" : "NO",
                       to_string(m.match_index), to_string(m.lag_entries)});
  }
  std::cout << "\n";
  print_table(std::cout, members);
  if (!s.queue.empty()) {
    std::vector<std::vector<std::string>> queue = {
        {"PRIORITY", "QUEUED", "ACTIVE", "COMPLETED", "FAILED"}};
    for (const auto& q : s.queue) {
      queue.push_back({std::string(slurp::enum_to_wire(q.priority)),
                       to_string(q.queued), to_string(q.active),
                       to_string(q.completed), to_string(q.failed)});
    }
    std::cout << "\n";
    print_table(std::cout, queue);
  }
  std::cout << "\nqueued " << s.queued_tasks << " (waiting on dependencies "
            << s.waiting_tasks << "), active " << s.active_tasks
            << "\ncache hits " << s.cache_hits << ", attached " << s.attached
            << ", retries " << s.retries << ", dead-lettered "
            << s.dead_lettered << ", generated twice "
            << s.duplicate_generations << "\n";
}

// `node` answered; `asked` (and its endpoint) is where the request went.
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
  w.end_array().key("queued_tasks").value(s.queued_tasks);
  w.key("active_tasks").value(s.active_tasks);
  w.key("waiting_tasks").value(s.waiting_tasks);
  w.key("cache_hits").value(s.cache_hits).key("attached").value(s.attached);
  w.key("retries").value(s.retries);
  w.key("dead_lettered").value(s.dead_lettered);
  w.key("duplicate_generations").value(s.duplicate_generations).end_object();
  return w.str();
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

void add_connect_flags(CLI::App* cmd, Flags& f,
                       std::vector<CLI::Option*>& direct_options) {
  cmd->add_option("--node", f.node,
                  "with a config: only this node (default: each in file "
                  "order until one answers)");
  direct_options.push_back(
      cmd->add_option("--endpoint", f.endpoint,
                      "one node's api endpoint, without a config file")
          ->capture_default_str());
  direct_options.push_back(cmd->add_option("--server-key", f.server_key,
                                           "that node's public key file"));
  cmd->add_option("--key", f.key,
                  "our secret key file (mode 0600); default $SLURP_KEY, "
                  "then client_key in the config");
  cmd->add_flag("--insecure", f.insecure, "plaintext (test clusters only)");
  cmd->add_option("--timeout-ms", f.timeout_ms,
                  "per node: wait this long for an answer (a follower holds "
                  "requests up to 5 s while no leader is known)")
      ->capture_default_str()
      ->check(CLI::Range(1, 600000));
  cmd->add_option("--connect-timeout-ms", f.connect_timeout_ms,
                  "per node: give up on a node not connected by then")
      ->capture_default_str()
      ->check(CLI::Range(1, 600000));
}

// Decides between one node (--endpoint/--server-key) and a config, and
// finds the config file; returns what is wrong with the flags, if anything
// (CLI11 cannot say it across the two modes).
std::optional<std::string> resolve_target(
    Flags& f, const std::vector<CLI::Option*>& direct_options) {
  for (const CLI::Option* option : direct_options) {
    if (option->count() > 0) f.direct = true;
  }
  if (!f.direct) {
    // Found here so that, without a file, --insecure alone still means one
    // plaintext node at the default --endpoint, as it always did.
    std::optional<std::string> flag;
    if (!f.config.empty()) flag = f.config;
    auto found =
        slurp::config::discover_config(flag, slurp::config::process_getenv);
    if (found) {
      f.config = found->string();
    } else {
      f.direct = f.insecure;
    }
  }
  if (f.direct && !f.config.empty()) {
    return "--config and --endpoint/--server-key exclude each other";
  }
  if (f.direct && !f.node.empty()) {
    return "--node needs a config (--config), not --endpoint";
  }
  if (!f.direct && f.config.empty()) {
    return "no cluster config: give --config FILE, set SLURP_CONFIG or run "
           "where cluster.toml is; or name one node with --endpoint, "
           "--server-key and --key";
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"slurpctl: talk to a slurp cluster"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may also follow the subcommand
  app.footer(kExitCodes);

  Flags f;
  app.add_option("--config", f.config,
                 "cluster.toml (default $SLURP_CONFIG, then ./cluster.toml)");
  bool verbose = false;
  app.add_flag("--verbose", verbose, "log socket events to stderr");

  std::string dir = ".", name;
  auto* keygen = app.add_subcommand("keygen", "write a CURVE key pair");
  keygen->add_option("--dir", dir, "where to write")->capture_default_str();
  keygen->add_option("--name", name, "writes NAME.key and NAME.pub")
      ->required();

  std::vector<CLI::Option*> direct_options;
  auto* ping = app.add_subcommand("ping", "check a node answers over CURVE");
  add_connect_flags(ping, f, direct_options);
  auto* status = app.add_subcommand(
      "status", "show the cluster: leader, term, members, queue");
  add_connect_flags(status, f, direct_options);
  status->add_flag("--json", f.json, "one JSON object on one line");
  status->add_flag("--stale", f.stale,
                   "answer from the asked node's own state, not the "
                   "leader's (works without a leader)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  // The library logs connection events; a CLI shows them only on request,
  // its own error message already says what went wrong.
  spdlog::set_level(verbose ? spdlog::level::info : spdlog::level::off);
  if (*keygen) return run_keygen(dir, name);
  if (auto problem = resolve_target(f, direct_options)) {
    std::cerr << "slurpctl: " << *problem << "\n";
    return exit_usage;
  }
  if (*ping) return run_ping(f);
  return run_status(f);
}
