// slurpctl: the command-line client. Uses only the public client library
// (src/client) and the key-file functions any client needs.
//
// Exit codes: 0 ok; 1 the request failed (the message says why and what to
// do); 2 bad usage.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "bus/curve_keys.h"
#include "src/client/client.h"

namespace {

struct ConnectFlags {
  std::string endpoint = "tcp://127.0.0.1:7101";
  std::string server_key;  // the node's .pub file
  std::string key;         // our .key file
  bool insecure = false;
  int timeout_ms = 5000;
};

void add_connect_flags(CLI::App* cmd, ConnectFlags& f) {
  cmd->add_option("--endpoint", f.endpoint, "a node's api endpoint")
      ->capture_default_str();
  cmd->add_option("--server-key", f.server_key, "the node's public key file");
  cmd->add_option("--key", f.key, "our secret key file (mode 0600)");
  cmd->add_flag("--insecure", f.insecure, "plaintext (test clusters only)");
  cmd->add_option("--timeout-ms", f.timeout_ms, "per request")
      ->capture_default_str();
}

// What the user can do about each error, printed under the error itself.
std::string advice(slurp::ErrorCode code) {
  using slurp::ErrorCode;
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
    default: return "";
  }
}

int fail(const slurp::Error& error) {
  std::cerr << "slurpctl: " << error.describe() << "\n";
  std::string hint = advice(error.code);
  if (!hint.empty()) std::cerr << "  hint: " << hint << "\n";
  return 1;
}

slurp::Result<std::unique_ptr<slurp::client::Client>> connect(
    zmq::context_t& context, const ConnectFlags& f) {
  slurp::client::ClientOptions options;
  options.endpoint = f.endpoint;
  options.insecure = f.insecure;
  options.timeout = std::chrono::milliseconds(f.timeout_ms);
  if (f.insecure) {
    std::cerr << "slurpctl: WARNING: --insecure: plaintext, unauthenticated\n";
  }
  if (!f.insecure) {
    if (f.server_key.empty() || f.key.empty()) {
      return slurp::make_error(slurp::ErrorCode::bad_request,
                               "--server-key and --key are required "
                               "(or --insecure)");
    }
    auto server = slurp::bus::load_public_key(f.server_key);
    if (!server) return server.error();
    auto keys = slurp::bus::load_keypair(f.key);
    if (!keys) return keys.error();
    options.server_public_z85 = *server;
    options.keys = *keys;
  }
  return slurp::client::Client::connect(context, options);
}

int run_keygen(const std::string& dir, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(slurp::make_error(slurp::ErrorCode::bad_request,
                                  "cannot create " + dir + ": " + ec.message(),
                                  "dir"));
  }
  auto pair = slurp::bus::generate_curve_keypair();
  if (!pair) return fail(pair.error());
  if (auto s = slurp::bus::write_keypair(*pair, dir, name); !s) {
    return fail(s.error());
  }
  std::cout << "wrote " << dir << "/" << name << ".key (secret, 0600) and "
            << dir << "/" << name << ".pub\n"
            << "public key: " << pair->public_z85 << "\n";
  return 0;
}

int run_ping(const ConnectFlags& f) {
  zmq::context_t context;
  auto client = connect(context, f);
  if (!client) return fail(client.error());
  auto pong = (*client)->ping();
  if (!pong) return fail(pong.error());
  std::cout << "pong from " << pong->node << ": you are " << pong->peer_name
            << " (" << pong->peer_role << ")\n";
  return 0;
}

int run_status(const ConnectFlags& f, bool json) {
  zmq::context_t context;
  auto client = connect(context, f);
  if (!client) return fail(client.error());
  auto status = (*client)->status();
  if (!status) return fail(status.error());
  if (json) {
    std::cout << "{\"node\":\"" << status->node << "\",\"leader\":"
              << (status->leader ? "\"" + *status->leader + "\"" : "null")
              << ",\"term\":" << status->term
              << ",\"commit_index\":" << status->commit_index
              << ",\"queued_tasks\":" << status->queued_tasks
              << ",\"active_tasks\":" << status->active_tasks << "}\n";
    return 0;
  }
  std::cout << "node:    " << status->node << "\n"
            << "leader:  " << status->leader.value_or("(none)") << "\n"
            << "term:    " << status->term << "\n"
            << "commit:  " << status->commit_index << "\n"
            << "queued:  " << status->queued_tasks
            << "   active: " << status->active_tasks << "\n";
  for (const auto& m : status->members) {
    std::cout << "member:  " << m.node << "  " << m.state << "  "
              << (m.healthy ? "healthy" : "UNHEALTHY") << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"slurpctl: talk to a slurp cluster"};
  app.require_subcommand(1);

  std::string dir = ".", name;
  auto* keygen = app.add_subcommand("keygen", "write a CURVE key pair");
  keygen->add_option("--dir", dir, "where to write")->capture_default_str();
  keygen->add_option("--name", name, "writes NAME.key and NAME.pub")
      ->required();

  ConnectFlags ping_flags, status_flags;
  auto* ping = app.add_subcommand("ping", "check a node answers over CURVE");
  add_connect_flags(ping, ping_flags);
  bool json = false;
  auto* status =
      app.add_subcommand("status", "show a node's view of the cluster");
  add_connect_flags(status, status_flags);
  status->add_flag("--json", json, "one JSON object");

  bool verbose = false;
  app.add_flag("--verbose", verbose, "log socket events to stderr");
  CLI11_PARSE(app, argc, argv);
  // The library logs connection events; a CLI shows them only on request,
  // its own error message already says what went wrong.
  spdlog::set_level(verbose ? spdlog::level::info : spdlog::level::off);
  if (*keygen) return run_keygen(dir, name);
  if (*ping) return run_ping(ping_flags);
  return run_status(status_flags, json);
}
