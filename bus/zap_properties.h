// The connection properties slurp's ZAP handler attaches to an accepted
// connection, and how a receiver tells them from look-alikes.
//
// libzmq exposes two kinds of properties through zmq_msg_gets: those from
// the ZAP reply's metadata frame, and those the *peer* sent in its handshake
// metadata (READY/INITIATE), which may use any name, "User-Id" and "Role"
// included. When ZAP runs, its values win (checked with libzmq 4.3.4 for
// NULL and CURVE in tests/bus/metadata_spoof_test.cc). When ZAP does not run
// (a plaintext socket without a ZAP domain), the peer's claims show through.
// So the handler also attaches a vouch: a random token made once per process
// and never sent on the wire. A receiver trusts User-Id and Role only when
// the vouch property equals this process's token.
//
// Any thread may call these.
#pragma once

#include <string>

namespace slurp::bus {

// The key's role, e.g. "admin" (role_name in protocol/role.h).
inline constexpr const char* zap_role_property = "Role";
inline constexpr const char* zap_vouch_property = "Slurp-Vouch";

// 32 hex characters from libsodium's generator, the same for the whole
// process lifetime.
const std::string& zap_vouch_token();

}  // namespace slurp::bus
