// What one slurpd process is started with. Filled from the command line
// (src/node/slurpd_main.cc); validated before anything binds.
// Plain data; any thread.
#pragma once

#include <filesystem>
#include <string>

namespace slurp::node {

struct NodeOptions {
  std::string node_id;
  std::string api_endpoint = "tcp://127.0.0.1:7101";
  std::filesystem::path secret_key;       // <name>.key, mode 0600
  std::filesystem::path authorized_keys;  // public key -> name + role
  std::filesystem::path data_dir;         // audit.log lives here
  std::filesystem::path endpoint_file;    // optional: bound api endpoint
  bool insecure = false;                  // plaintext; loud warnings
};

}  // namespace slurp::node
