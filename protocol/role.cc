#include "protocol/role.h"

namespace slurp {

namespace {
constexpr Role kRoles[] = {Role::observer, Role::developer, Role::worker,
                           Role::node, Role::admin};
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::observer: return "observer";
    case Role::developer: return "developer";
    case Role::worker: return "worker";
    case Role::node: return "node";
    case Role::admin: return "admin";
  }
  return "observer";
}

std::optional<Role> role_from_name(std::string_view name) {
  for (Role role : kRoles) {
    if (role_name(role) == name) return role;
  }
  return std::nullopt;
}

}  // namespace slurp
