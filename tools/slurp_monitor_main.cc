// slurp-monitor: follows a cluster's events. Subscribes (SUB, CURVE) to
// every node's events socket, prints one line per event, notices events
// PUB dropped from the jumps in each node's seq, and fetches those from
// the node's api (fetch_events). Uses only the public client library.
//
// Line format: `seq node term topic k=v ...`; fetched events end in
// " [fetched]"; `gap NODE from_seq=A to_seq=B` before a fetch, with
// `lost first_available_seq=F` when the node no longer has them;
// `restart NODE seq=S previous_seq=P` when a node's sequence began again.
// --json prints one object per line instead, with "type" event, beacon,
// gap or restart.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <set>

#include "src/client/client.h"
#include "src/client/event_sequence.h"
#include "src/client/event_stream.h"
#include "src/client/json_writer.h"
#include "src/client/tool_config.h"

namespace {

using Clock = std::chrono::steady_clock;
using slurp::client::JsonWriter;
using slurp::client::SequenceVerdict;

enum Exit : int {
  exit_ok = 0,       // --count events printed
  exit_usage = 1,    // bad flags, config or key files
  exit_timeout = 4,  // --timeout-ms passed with nothing printed
};

constexpr const char* kExitCodes =
    "Exit codes: 0 --count events printed; 1 usage or config error; 4 "
    "nothing printed for --timeout-ms.";

// One gap is fetched in at most this many fetch_events rounds; a node
// keeps a bounded history anyway, so more would only find it gone.
constexpr int fetch_rounds_max = 100;
constexpr std::chrono::milliseconds fetch_timeout{3000};
// How long one wait lasts when no --timeout-ms bounds it.
constexpr std::chrono::milliseconds idle_wait{1000};

struct Flags {
  std::string config;
  std::string key;
  std::vector<std::string> topics;  // prefixes; empty: every event
  std::string node;
  bool json = false;
  bool history = false;  // on first contact, fetch what the node kept
  bool insecure = false;
  std::uint64_t count = 0;       // 0: forever
  std::uint64_t timeout_ms = 0;  // 0: none
};

// k=v, quoting values a reader could not split on spaces.
std::string attr_text(const std::string& key, const std::string& value) {
  const bool plain =
      !value.empty() && value.find_first_of(" \t\r\n\"\\") == std::string::npos;
  if (plain) return key + "=" + value;
  return key + "=" + JsonWriter().value(value).str();
}

class Monitor {
 public:
  Monitor(zmq::context_t& context, const slurp::client::ToolConfig& tool,
          const Flags& flags)
      : context_(context), tool_(tool), flags_(flags) {}

  bool done() const { return flags_.count > 0 && printed_ >= flags_.count; }
  Clock::time_point last_print() const { return last_print_; }

  void handle(slurp::client::StreamItem& item) {
    if (auto* event = std::get_if<slurp::Event>(&item.item)) {
      on_event(item.source, *event);
    } else if (auto* beacon = std::get_if<slurp::Beacon>(&item.item)) {
      on_beacon(item.source, *beacon);
    } else {
      on_problem(item.source, std::get<slurp::Error>(item.item));
    }
  }

 private:
  void on_event(const std::string& source, const slurp::Event& event) {
    const SequenceVerdict verdict = sequence_.on_event(source, event.seq);
    if (!follow(source, event.seq, verdict, false)) return;
    print_event(event, false);
  }

  void on_beacon(const std::string& source, const slurp::Beacon& beacon) {
    const SequenceVerdict verdict = sequence_.on_beacon(source, beacon.seq);
    if (!follow(source, beacon.seq, verdict, true)) return;
    if (selected("beacon", true)) print_beacon(beacon);
  }

  // Reports a gap (and fetches it) or a restart; false once done. A
  // beacon's seq is the node's latest event, which we have not seen.
  bool follow(const std::string& source, std::uint64_t seq,
              const SequenceVerdict& verdict, bool beacon) {
    using Kind = SequenceVerdict::Kind;
    const std::uint64_t before = beacon ? seq : seq - 1;
    if (verdict.kind == Kind::first && flags_.history && before >= 1) {
      // What happened before we subscribed (PUB has no history).
      fill_gap(source, 1, before);
    } else if (verdict.kind == Kind::gap) {
      print_gap(source, verdict.missing_from, verdict.missing_to);
      fill_gap(source, verdict.missing_from, verdict.missing_to);
    } else if (verdict.kind == Kind::restarted) {
      print_restart(source, seq, verdict.previous);
    }
    return !done();
  }

  void on_problem(const std::string& source, const slurp::Error& error) {
    // A refused handshake repeats on every reconnect: say it once.
    if (error.code == slurp::ErrorCode::unauthenticated &&
        !refused_.insert(source).second) {
      return;
    }
    std::cerr << "slurp-monitor: " << source << ": " << error.describe()
              << "\n";
  }

  void fill_gap(const std::string& source, std::uint64_t from,
                std::uint64_t to) {
    slurp::client::Client* client = client_for(source);
    std::uint64_t next = from;
    for (int round = 0; client && next <= to && round < fetch_rounds_max;
         ++round) {
      auto reply = client->fetch_events(next);
      if (!reply) {
        std::cerr << "slurp-monitor: " << source << ": cannot fetch events "
                  << next << ".." << to << ": " << reply.error().describe()
                  << "\n";
        return;
      }
      if (reply->first_available_seq > next) {
        const std::uint64_t gone_to =
            std::min(to, reply->first_available_seq - 1);
        print_lost(source, next, gone_to, reply->first_available_seq);
        next = gone_to + 1;
      }
      if (next > to) return;
      if (reply->events.empty()) break;
      for (const slurp::Event& event : reply->events) {
        if (event.seq < next) continue;
        if (event.seq > to || done()) return;
        print_event(event, true);
        next = event.seq + 1;
      }
    }
    if (next <= to) {
      std::cerr << "slurp-monitor: " << source << ": events " << next << ".."
                << to << " not fetched\n";
    }
  }

  slurp::client::Client* client_for(const std::string& source) {
    auto it = clients_.find(source);
    if (it != clients_.end()) return it->second.get();
    const slurp::client::NodeTarget* node = tool_.find_node(source);
    if (node == nullptr) return nullptr;
    auto client = slurp::client::Client::connect(
        context_, tool_.client_options(*node, fetch_timeout));
    if (!client) {
      std::cerr << "slurp-monitor: " << source << ": "
                << client.error().describe() << "\n";
      return nullptr;
    }
    return (clients_[source] = std::move(*client)).get();
  }

  bool selected(const std::string& topic, bool beacon) const {
    if (flags_.topics.empty()) return !beacon;
    for (const std::string& prefix : flags_.topics) {
      if (topic.starts_with(prefix)) return true;
    }
    return false;
  }

  void emit(const std::string& line, bool counts) {
    std::cout << line << "\n" << std::flush;  // a pipe sees it at once
    if (counts) {
      ++printed_;
      last_print_ = Clock::now();
    }
  }

  void print_event(const slurp::Event& e, bool fetched) {
    if (!selected(e.topic, false)) return;
    if (flags_.json) {
      JsonWriter w;
      w.begin_object().key("type").value("event").key("node").value(e.node);
      w.key("seq").value(e.seq).key("term").value(e.term);
      w.key("topic").value(e.topic).key("time_ms").value(e.time_ms);
      w.key("attrs").begin_object();
      for (const auto& [k, v] : e.attrs) w.key(k).value(v);
      w.end_object().key("fetched").value(fetched).end_object();
      return emit(w.str(), true);
    }
    std::string line = std::to_string(e.seq) + " " + e.node + " " +
                       std::to_string(e.term) + " " + e.topic;
    for (const auto& [k, v] : e.attrs) line += " " + attr_text(k, v);
    if (fetched) line += " [fetched]";
    emit(line, true);
  }

  void print_beacon(const slurp::Beacon& b) {
    if (flags_.json) {
      JsonWriter w;
      w.begin_object().key("type").value("beacon").key("node").value(b.node);
      w.key("seq").value(b.seq).key("term").value(b.term).key("leader");
      if (b.leader) {
        w.value(*b.leader);
      } else {
        w.null();
      }
      w.key("commit_index").value(b.commit_index);
      if (b.leader_endpoints) w.key("api").value(b.leader_endpoints->api);
      return emit(w.end_object().str(), true);
    }
    std::string line = std::to_string(b.seq) + " " + b.node + " " +
                       std::to_string(b.term) + " beacon";
    line += " leader=" + b.leader.value_or("none");
    line += " commit_index=" + std::to_string(b.commit_index);
    if (b.leader_endpoints) line += " api=" + b.leader_endpoints->api;
    emit(line, true);
  }

  void print_gap(const std::string& node, std::uint64_t from,
                 std::uint64_t to) {
    if (flags_.json) {
      JsonWriter w;
      w.begin_object().key("type").value("gap").key("node").value(node);
      w.key("from_seq").value(from).key("to_seq").value(to).end_object();
      return emit(w.str(), false);
    }
    emit("gap " + node + " from_seq=" + std::to_string(from) +
             " to_seq=" + std::to_string(to),
         false);
  }

  void print_lost(const std::string& node, std::uint64_t from, std::uint64_t to,
                  std::uint64_t first_available) {
    if (flags_.json) {
      JsonWriter w;
      w.begin_object().key("type").value("gap").key("node").value(node);
      w.key("from_seq").value(from).key("to_seq").value(to);
      w.key("lost").value(true);
      w.key("first_available_seq").value(first_available).end_object();
      return emit(w.str(), false);
    }
    emit("gap " + node + " from_seq=" + std::to_string(from) +
             " to_seq=" + std::to_string(to) +
             " lost first_available_seq=" + std::to_string(first_available),
         false);
  }

  void print_restart(const std::string& node, std::uint64_t seq,
                     std::uint64_t previous) {
    if (flags_.json) {
      JsonWriter w;
      w.begin_object().key("type").value("restart").key("node").value(node);
      w.key("seq").value(seq).key("previous_seq").value(previous);
      return emit(w.end_object().str(), false);
    }
    emit("restart " + node + " seq=" + std::to_string(seq) +
             " previous_seq=" + std::to_string(previous),
         false);
  }

  zmq::context_t& context_;
  const slurp::client::ToolConfig& tool_;
  const Flags& flags_;
  slurp::client::EventSequence sequence_;
  std::map<std::string, std::unique_ptr<slurp::client::Client>> clients_;
  std::set<std::string> refused_;
  std::uint64_t printed_ = 0;
  Clock::time_point last_print_ = Clock::now();
};

int run(const Flags& flags) {
  slurp::client::ToolFlags tool_flags;
  if (!flags.config.empty()) tool_flags.config = flags.config;
  if (!flags.key.empty()) tool_flags.key = flags.key;
  tool_flags.insecure = flags.insecure;
  auto tool = slurp::client::load_tool_config(tool_flags,
                                              slurp::config::process_getenv);
  if (!tool) {
    std::cerr << "slurp-monitor: " << tool.error().describe() << "\n";
    return exit_usage;
  }
  std::vector<slurp::client::NodeTarget> nodes = tool->nodes;
  if (!flags.node.empty()) {
    const slurp::client::NodeTarget* only = tool->find_node(flags.node);
    if (only == nullptr) {
      std::cerr << "slurp-monitor: no node '" << flags.node << "' in "
                << tool->config_path.string() << "\n";
      return exit_usage;
    }
    nodes = {*only};
  }
  zmq::context_t context;
  // Everything is subscribed even with --topic: seq gaps are only visible
  // in the whole sequence. --topic filters what is printed.
  auto stream = slurp::client::EventStream::connect(context, *tool, nodes);
  if (!stream) {
    std::cerr << "slurp-monitor: " << stream.error().describe() << "\n";
    return exit_usage;
  }
  for (const auto& node : nodes) {
    std::cerr << "slurp-monitor: following " << node.id << " at "
              << node.events_endpoint << "\n";
  }
  Monitor monitor(context, *tool, flags);
  const std::chrono::milliseconds timeout(flags.timeout_ms);
  while (!monitor.done()) {
    auto wait = idle_wait;
    if (flags.timeout_ms > 0) {
      wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          monitor.last_print() + timeout - Clock::now());
      if (wait.count() <= 0) {
        std::cerr << "slurp-monitor: nothing for " << flags.timeout_ms
                  << " ms\n";
        return exit_timeout;
      }
    }
    if (auto item = (*stream)->next(wait)) monitor.handle(*item);
  }
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "slurp-monitor: print a slurp cluster's events, fetching any that "
      "were missed"};
  app.footer(kExitCodes);
  Flags flags;
  app.add_option("--config", flags.config,
                 "cluster.toml (default $SLURP_CONFIG, then ./cluster.toml)");
  app.add_option("--key", flags.key,
                 "our secret key file (default $SLURP_KEY, then client_key "
                 "in the config)");
  app.add_option("--topic", flags.topics,
                 "print only topics starting with this (repeatable; default "
                 "every event; beacons only when a prefix matches 'beacon')");
  app.add_option("--node", flags.node, "follow only this node");
  app.add_flag("--json", flags.json, "one JSON object per line");
  app.add_flag("--history", flags.history,
               "first fetch the events each node still keeps (up to 10000)");
  app.add_option("--count", flags.count,
                 "exit 0 after printing this many events (0: never)")
      ->capture_default_str();
  app.add_option("--timeout-ms", flags.timeout_ms,
                 "exit 4 when nothing is printed for this long (0: never)")
      ->capture_default_str();
  app.add_flag("--insecure", flags.insecure, "plaintext (test clusters only)");
  bool verbose = false;
  app.add_flag("--verbose", verbose, "log socket events to stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  spdlog::set_level(verbose ? spdlog::level::info : spdlog::level::off);
  return run(flags);
}
