// slurp-monitor: follows a cluster's events. Subscribes (SUB, CURVE) to
// every node's events socket, notices the events PUB dropped from the
// jumps in each node's seq and fetches them from the node's api
// (fetch_events). Two modes:
//   tail (default)  one line per event, filtered by topic, job and
//                   address, coloured on a terminal, or --json
//                   (monitor/tail_mode.h, monitor/event_render.h)
//   --top           a live full-screen view of the cluster: leader,
//                   members, queue, throughput, workers, recent failures
//                   (monitor/top_mode.h, monitor/top_view.h)
// Uses only the public client library.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "protocol/ucxl_address.h"
#include "src/client/event_stream.h"
#include "src/client/tool_config.h"
#include "tools/monitor/options.h"
#include "tools/monitor/tail_mode.h"
#include "tools/monitor/top_mode.h"

namespace {

using slurp::monitor::ColorMode;
using slurp::monitor::exit_ok;
using slurp::monitor::exit_usage;
using slurp::monitor::Options;

constexpr const char* kFooter = R"(Examples:
  slurp-monitor                                   every event of the cluster in ./cluster.toml
  slurp-monitor --config c/cluster.toml --history what the nodes kept, then live
  slurp-monitor --topic job.failed --topic job.dead_lettered
  slurp-monitor --job 42                          everything that happens to job 42
  slurp-monitor --address ucxl://proj/src/ --topic job.completed
  slurp-monitor --json | jq -r 'select(.topic == "job.completed") | .attrs.address'
  slurp-monitor --top                             live view; q quits
  slurp-monitor --top --frames 1 > snapshot.txt   one plain-text frame, then exit

The config is --config, else $SLURP_CONFIG, else ./cluster.toml; our key is
--key, else $SLURP_KEY, else client_key in the config. Filters combine with
AND; a repeated flag matches any of its values. Colour: --color auto (the
default) colours a terminal unless NO_COLOR is set; --json never.

Line format: `seq node term topic k=v ...`, " [fetched]" on events fetched
after a gap; `gap NODE from_seq=A to_seq=B` (` lost first_available_seq=F`
when gone) and `restart NODE seq=S previous_seq=P`, except with --job or
--address. --json: one object per line, "type" event, beacon, gap or
restart. --top on a terminal takes the screen (q quits); elsewhere it
prints plain-text frames separated by a line "---".

Exit codes: 0 --count events printed, --frames shown, or q in --top;
1 usage or config error; 4 nothing printed for --timeout-ms.)";

void add_flags(CLI::App& app, Options& o) {
  app.add_option("--config", o.config,
                 "cluster.toml (default $SLURP_CONFIG, then ./cluster.toml)");
  app.add_option("--key", o.key,
                 "our secret key file (default $SLURP_KEY, then client_key "
                 "in the config)");
  app.add_option("--node", o.nodes,
                 "follow only this node (repeatable; state events come from "
                 "the leader)");
  app.add_option("--topic", o.filter.topic_prefixes,
                 "only topics starting with this (repeatable; beacons only "
                 "when a prefix matches 'beacon')");
  app.add_option("--job", o.filter.job_ids,
                 "only events of this job id (repeatable)");
  app.add_option("--address", o.filter.address_prefixes,
                 "only events whose address starts with this (repeatable; "
                 "ucxl://proj/src/ also matches as its canonical form "
                 "ucxl://any:any@proj:any/*^/src/)");
  app.add_flag("--json", o.json, "one JSON object per line (never coloured)");
  app.add_option("--color", o.color_text,
                 "auto (a terminal, unless NO_COLOR is set), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  app.add_flag("--history", o.history,
               "first print the events each node still keeps (up to 10000 "
               "each), then live ones");
  app.add_option("--count", o.count,
                 "exit 0 after printing this many events (0: never)")
      ->capture_default_str();
  app.add_option("--timeout-ms", o.timeout_ms,
                 "exit 4 when nothing is printed for this long (0: never)")
      ->capture_default_str();
  app.add_flag("--top", o.top,
               "live full-screen view; plain-text frames when stdout is "
               "not a terminal");
  app.add_option("--frames", o.frames,
                 "--top: exit 0 after this many frames (0: until q)")
      ->capture_default_str();
  app.add_option("--refresh-ms", o.refresh_ms, "--top: status poll interval")
      ->check(CLI::Range(100, 60000))
      ->capture_default_str();
  app.add_flag("--insecure", o.insecure, "plaintext (test clusters only)");
}

// Combinations that would silently do nothing.
std::string conflicts(const CLI::App& app, const Options& o) {
  if (o.top) {
    for (const char* flag : {"--json", "--count", "--timeout-ms"}) {
      if (app.count(flag) > 0) return std::string(flag) + " is for the tail";
    }
  } else {
    for (const char* flag : {"--frames", "--refresh-ms"}) {
      if (app.count(flag) > 0) return std::string(flag) + " needs --top";
    }
  }
  return "";
}

// Events carry canonical addresses; a prefix that is an address itself
// (ucxl://proj/src/) matches in its canonical form too.
void add_canonical_prefixes(std::vector<std::string>& prefixes) {
  const std::size_t given = prefixes.size();
  for (std::size_t i = 0; i < given; ++i) {
    // A trailing "/" names a directory (and does not parse): parse without
    // it and put it back, so "a/" does not match "ab".
    std::string_view text = prefixes[i];
    const bool directory = text.ends_with('/');
    if (directory) text.remove_suffix(1);
    auto parsed = slurp::parse_ucxl(text);
    if (!parsed) continue;
    std::string canonical = parsed->to_string();
    if (directory && !canonical.ends_with('/')) canonical += '/';
    if (canonical != prefixes[i]) prefixes.push_back(std::move(canonical));
  }
}

int run(const Options& o) {
  slurp::client::ToolFlags tool_flags;
  if (!o.config.empty()) tool_flags.config = o.config;
  if (!o.key.empty()) tool_flags.key = o.key;
  tool_flags.insecure = o.insecure;
  auto tool = slurp::client::load_tool_config(tool_flags,
                                              slurp::config::process_getenv);
  if (!tool) {
    std::cerr << "slurp-monitor: " << tool.error().describe() << "\n";
    return exit_usage;
  }
  std::vector<slurp::client::NodeTarget> nodes = tool->nodes;
  if (!o.nodes.empty()) {
    nodes.clear();
    for (const std::string& id : o.nodes) {
      const slurp::client::NodeTarget* node = tool->find_node(id);
      if (node == nullptr) {
        std::cerr << "slurp-monitor: no node '" << id << "' in "
                  << tool->config_path.string() << "\n";
        return exit_usage;
      }
      nodes.push_back(*node);
    }
  }
  zmq::context_t context;
  // Everything is subscribed even with --topic: seq gaps are only visible
  // in the whole sequence. The filters decide what is printed.
  auto stream = slurp::client::EventStream::connect(context, *tool, nodes);
  if (!stream) {
    std::cerr << "slurp-monitor: " << stream.error().describe() << "\n";
    return exit_usage;
  }
  std::vector<std::string> ids;
  for (const auto& node : nodes) ids.push_back(node.id);
  if (o.top) return slurp::monitor::run_top(context, *tool, ids, **stream, o);
  for (const auto& node : nodes) {
    std::cerr << "slurp-monitor: following " << node.id << " at "
              << node.events_endpoint << "\n";
  }
  return slurp::monitor::run_tail(context, *tool, ids, **stream, o);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "slurp-monitor: follow a slurp cluster's events (missed ones are "
      "fetched), or watch it live with --top"};
  app.footer(kFooter);
  Options options;
  add_flags(app, options);
  bool verbose = false;
  app.add_flag("--verbose", verbose, "log socket events to stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  if (std::string why = conflicts(app, options); !why.empty()) {
    std::cerr << "slurp-monitor: " << why << " (see --help)\n";
    return exit_usage;
  }
  spdlog::set_level(verbose ? spdlog::level::info : spdlog::level::off);
  add_canonical_prefixes(options.filter.address_prefixes);
  options.color = options.color_text == "always"  ? ColorMode::always
                  : options.color_text == "never" ? ColorMode::never
                                                  : ColorMode::automatic;
  try {
    return run(options);
  } catch (const zmq::error_t& e) {
    // Sockets failing under us (not a bad flag or a dead node): say so and
    // let the destructors give the terminal back.
    std::cerr << "slurp-monitor: " << e.what() << "\n";
    return exit_usage;
  }
}
