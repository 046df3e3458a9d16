// The role a CURVE public key holds. Roles come from the authorized-keys file
// through the ZAP handler, never from message fields. They are not a ladder:
// `node` and `worker` are service roles with their own rights; see
// src/security/policy.h for what each may ask.
#pragma once

#include <optional>
#include <string_view>

namespace slurp {

enum class Role { observer, developer, worker, node, admin };

std::string_view role_name(Role role);
std::optional<Role> role_from_name(std::string_view name);

}  // namespace slurp
