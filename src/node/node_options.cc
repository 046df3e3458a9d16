#include "src/node/node_options.h"

#include "bus/curve_keys.h"

namespace slurp::node {

Result<NodeOptions> node_options_from_config(
    const config::ClusterConfig& config, const std::string& node_id) {
  const config::NodeConfig* self = config.find_node(node_id);
  if (self == nullptr) {
    std::string ids;
    for (const auto& n : config.nodes) ids += (ids.empty() ? "" : ", ") + n.id;
    return make_error(ErrorCode::not_found,
                      config.source_name + " has no node '" + node_id +
                          "' (it has: " + ids + ")",
                      "node");
  }
  if (config.insecure && config.nodes.size() > 1) {
    // Plaintext peers get role observer from ZAP, so nodes could not send
    // each other consensus messages; refuse instead of failing later.
    return make_error(ErrorCode::bad_request,
                      "insecure = true supports a one-node cluster only: "
                      "without CURVE, peers cannot be authenticated as nodes",
                      "cluster.insecure");
  }
  NodeOptions options;
  options.node_id = node_id;
  options.api_bind = self->bind_endpoint(self->api_port);
  options.events_bind = self->bind_endpoint(self->events_port);
  options.jobs_bind = self->bind_endpoint(self->jobs_port);
  options.results_bind = self->bind_endpoint(self->results_port);
  options.secret_key = self->secret_key_path;
  options.authorized_keys = config.authorized_keys;
  options.data_dir = self->data_dir;
  options.insecure = config.insecure;
  options.timing = config.timing;
  options.limits = config.limits;
  options.file_roots = config.files.roots;
  options.metrics_listen = self->metrics_listen;
  for (const config::NodeConfig& n : config.nodes) {
    MemberOptions member;
    member.id = n.id;
    member.api_endpoint = n.api_endpoint();
    member.events_endpoint = n.events_endpoint();
    member.jobs_endpoint = n.jobs_endpoint();
    member.results_endpoint = n.results_endpoint();
    if (!n.public_key_z85.empty()) {
      member.public_key_z85 = n.public_key_z85;
    } else if (!n.public_key_path.empty()) {
      auto key = bus::load_public_key(n.public_key_path);
      if (!key) {
        Error e = key.error();
        e.field = "nodes." + n.id + ".public_key";
        return e;
      }
      member.public_key_z85 = *key;
    }
    options.members.push_back(std::move(member));
  }
  return options;
}

}  // namespace slurp::node
