// What a context shows depends on who asks. Observers (dashboards,
// read-only keys) see what a file is and how big, not its insides:
//   observer              no symbols, no todos, no imports
//   developer, worker,    everything
//   node, admin
// Applied when a context is read (`get`), never to what is stored, so a
// role's view can change without regenerating anything. Pure; any thread.
#pragma once

#include "protocol/messages.h"
#include "protocol/role.h"

namespace slurp::context {

inline Context filter_for_role(Context context, Role role) {
  if (role == Role::observer) {
    context.symbols.clear();
    context.todos.clear();
    context.imports.clear();
  }
  return context;
}

}  // namespace slurp::context
