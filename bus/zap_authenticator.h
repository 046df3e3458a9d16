// The ZAP handler (RFC 27/ZAP): libzmq asks it about every incoming
// connection on a socket with a ZAP domain, and it answers from the
// authorized-keys table.
//
// Fail closed: libzmq 4.3 lets every CURVE peer in when nothing is bound at
// inproc://zeromq.zap.01 (ZMQ_ZAP_ENFORCE_DOMAIN, which would forbid that,
// is DRAFT API). So start() binds that endpoint before returning, and the
// node must call it before it binds or connects any server socket.
//
// Answers:
//   CURVE, right domain, key in the table -> 200, User-Id = the key's name,
//     metadata "Role" = the key's role and "Slurp-Vouch" = this process's
//     token (read back with zmq_msg_gets on every message from that
//     connection; see zap_properties.h and received_message.h)
//   CURVE, unknown key                    -> 400
//   CURVE on DOMAIN.work, key's role not worker or node -> 400
//   any mechanism, domain other than ours -> 400
//   NULL (plaintext) when allow_null      -> 200, User-Id "insecure", Role
//     observer (see insecure_role)
//   NULL when !allow_null, PLAIN, GSSAPI  -> 400
//   malformed request                     -> 500
// Every answer goes to the audit callback; refusals are also logged as
// warnings with the key and the peer address.
//
// Threads: construct, start(), stop() and destroy on one owner thread; the
// requests are served on a thread of the authenticator's own; reload() and
// the counters may be called from any thread. The authenticator must be
// stopped (or destroyed) before its zmq::context_t is closed, since its
// sockets keep the context alive.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "bus/authorized_keys.h"
#include "protocol/result.h"
#include "protocol/role.h"

namespace slurp::bus {

struct AuthDecision {
  bool accepted = false;
  int status_code = 0;         // ZAP status sent: 200, 400 or 500
  std::string mechanism;       // "CURVE", "NULL", ... as libzmq reported it
  std::string public_key_z85;  // the client's key (CURVE only)
  std::string peer_address;    // IP address of the peer, from libzmq
  std::string name;            // the user id given, or the key's name
  std::optional<Role> role;    // set when accepted
  std::string reason;          // the status text sent back
};

// Called on the authenticator's thread, once per ZAP request, before the
// reply is sent. It must not block for long: handshakes wait for it.
using AuditCallback = std::function<void(const AuthDecision&)>;

class ZapAuthenticator {
 public:
  static constexpr const char* zap_endpoint = "inproc://zeromq.zap.01";
  static constexpr const char* default_domain = "slurp";
  // The domain of the sockets that hand out jobs and take results: the
  // main domain + this suffix. Only keys of role worker or node get in
  // there (plaintext peers too, in --insecure mode): a job carries file
  // content, so an observer key must not be able to pull jobs.
  static constexpr const char* work_domain_suffix = ".work";
  // Plaintext peers (only with allow_null, i.e. --insecure) get this user id
  // and the least role. The node's policy, which knows it runs insecure,
  // decides what "insecure" may do; if it forgets, the cluster is read-only
  // rather than open.
  static constexpr const char* insecure_user_id = "insecure";
  static constexpr Role insecure_role = Role::observer;

  // `keys_path` is what reload() re-reads; empty means reload() fails.
  ZapAuthenticator(zmq::context_t& context, AuthorizedKeys keys,
                   std::filesystem::path keys_path, std::string domain,
                   bool allow_null, AuditCallback audit);
  ~ZapAuthenticator();
  ZapAuthenticator(const ZapAuthenticator&) = delete;
  ZapAuthenticator& operator=(const ZapAuthenticator&) = delete;

  // Binds the ZAP endpoint (before returning) and starts serving. Fails when
  // another handler is bound in this context already.
  Status start();
  // Idempotent; returns once the thread has exited and the sockets are
  // closed. Connections that are mid-handshake then fail their handshake.
  void stop();

  // Re-reads keys_path. A bad file keeps the current table in force; the
  // error is logged and returned.
  Status reload();

  std::uint64_t accepted_count() const { return accepted_.load(); }
  std::uint64_t refused_count() const { return refused_.load(); }
  std::size_t key_count() const;

 private:
  struct Verdict;

  void run();
  void serve_one();
  Verdict decide(const std::vector<zmq::message_t>& request,
                 bool too_many_frames) const;
  void report(const AuthDecision& decision);
  std::shared_ptr<const AuthorizedKeys> current_keys() const;

  zmq::context_t& context_;
  const std::filesystem::path keys_path_;
  const std::string domain_;
  const bool allow_null_;
  const AuditCallback audit_;

  mutable std::mutex keys_mutex_;  // guards keys_ (the pointer, not the table)
  std::shared_ptr<const AuthorizedKeys> keys_;

  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> refused_{0};

  // Bound by start() on the owner thread, then used only by thread_ until
  // stop() has joined it.
  zmq::socket_t zap_socket_;
  zmq::socket_t control_receiver_;
  zmq::socket_t control_sender_;  // owner thread: stop() wakes thread_
  std::thread thread_;
};

}  // namespace slurp::bus
