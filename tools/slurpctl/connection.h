// How slurpctl reaches the cluster and reports what went wrong: the flags
// every command shares, the exit codes, and error printing with advice
// (src/client/error_advice.h). Main thread only, like the rest of slurpctl.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "src/client/cluster_call.h"
#include "src/client/tool_config.h"

namespace slurpctl {

// Also in --help (kExitCodes): scripts switch on these.
enum Exit : int {
  exit_ok = 0,
  exit_usage = 1,        // bad flags, config or key files
  exit_refused = 2,      // the cluster answered with an error, or a job failed
  exit_unreachable = 3,  // no node answered
};

inline constexpr const char* kExitCodes =
    "Exit codes: 0 ok; 1 usage or config error; 2 the cluster refused a "
    "request or a job did not complete; 3 no node reachable.";

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

// Prints the error and what to do about it; returns exit_code.
int fail(const slurp::Error& error, int exit_code);
// A node's error reply: who said it, what, where the leader is, and what
// to do; returns exit_refused.
int fail_reply(const slurp::client::ClusterAnswer& answer,
               const slurp::ErrorReply& reply);
// The advice line for an error reply's numeric code ("" if unknown).
std::string advice_for(std::uint64_t code);

void add_connect_flags(CLI::App* cmd, Flags& f,
                       std::vector<CLI::Option*>& direct_options);
// Decides between one node (--endpoint/--server-key) and a config file;
// returns what is wrong with the flags, if anything.
std::optional<std::string> resolve_target(
    Flags& f, const std::vector<CLI::Option*>& direct_options);
slurp::Result<slurp::client::ToolConfig> load_target(const Flags& f);
slurp::client::ClusterCallOptions call_options(const Flags& f);

// Sends `request` as the flags say; on success `answer` holds a reply of
// type Reply and the result is exit_ok; otherwise the error was printed.
template <class Reply>
int ask(const Flags& f, const slurp::Message& request,
        slurp::client::ClusterAnswer& answer) {
  auto tool = load_target(f);
  if (!tool) return fail(tool.error(), exit_usage);
  if (tool->insecure) {
    std::cerr << "slurpctl: WARNING: insecure: plaintext, unauthenticated\n";
  }
  zmq::context_t context;
  auto result =
      slurp::client::call_cluster(context, *tool, request, call_options(f));
  if (!result) return fail(result.error(), exit_unreachable);
  answer = std::move(*result);
  if (auto* error = std::get_if<slurp::ErrorReply>(&answer.reply)) {
    return fail_reply(answer, *error);
  }
  if (!std::holds_alternative<Reply>(answer.reply)) {
    return fail(slurp::make_error(
                    slurp::ErrorCode::internal,
                    "unexpected reply type '" +
                        std::string(slurp::message_type(answer.reply)) + "'",
                    "type"),
                exit_refused);
  }
  return exit_ok;
}

// "n3 (tcp://...)", or "n3 (asked n1 at tcp://...)" when the node asked
// passed the request on.
std::string answered_by(const slurp::client::ClusterAnswer& answer,
                        const std::string& node);

}  // namespace slurpctl
