// Who may ask what. Authorization uses only the role bound to the sender's
// CURVE key by the ZAP handler (bus/zap_authenticator.h), never a field in
// the message. README.md ("Roles") documents the same table.
// Pure; any thread.
#pragma once

#include "protocol/messages.h"
#include "protocol/result.h"
#include "protocol/role.h"

namespace slurp::security {

// Ok when `role` may send `request` to a node's api socket. Errors:
// forbidden (known key, role too small) or bad_request (a reply or event
// type that is never a request).
Status authorize(Role role, const Message& request);

}  // namespace slurp::security
