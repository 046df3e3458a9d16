#include "bus/zap_authenticator.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cassert>
#include <chrono>

#include "bus/curve_keys.h"
#include "bus/poll.h"
#include "bus/zap_properties.h"
#include "bus/zmtp_metadata.h"

namespace slurp::bus {

namespace {

// RFC 27: version, request id, domain, address, identity, mechanism, then
// the credentials (none for NULL, one for CURVE, two for PLAIN).
constexpr std::size_t zap_request_frames_min = 6;
// Anything longer is malformed; the rest is read and dropped so the REP
// socket stays in step.
constexpr std::size_t zap_request_frames_max = 8;
// Text taken from a request into logs and audit records is cut to this.
constexpr std::size_t zap_text_bytes_max = 128;

std::string_view frame_view(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

// Bounded, printable: request frames end up in logs.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, zap_text_bytes_max)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

std::atomic<std::uint64_t> control_endpoint_counter{0};

// The serving thread takes no signals: they belong to the main thread,
// whose loop turns them into flags (signal_flags.h).
class BlockAllSignals {
 public:
  BlockAllSignals() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved_);
  }
  ~BlockAllSignals() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  BlockAllSignals(const BlockAllSignals&) = delete;
  BlockAllSignals& operator=(const BlockAllSignals&) = delete;

 private:
  sigset_t saved_;
};

}  // namespace

struct ZapAuthenticator::Verdict {
  AuthDecision decision;
  std::string request_id;
};

ZapAuthenticator::ZapAuthenticator(zmq::context_t& context, AuthorizedKeys keys,
                                   std::filesystem::path keys_path,
                                   std::string domain, bool allow_null,
                                   AuditCallback audit)
    : context_(context),
      keys_path_(std::move(keys_path)),
      domain_(std::move(domain)),
      allow_null_(allow_null),
      audit_(std::move(audit)),
      keys_(std::make_shared<const AuthorizedKeys>(std::move(keys))) {}

ZapAuthenticator::~ZapAuthenticator() {
  stop();
}

Status ZapAuthenticator::start() {
  assert(!thread_.joinable());
  try {
    zap_socket_ = zmq::socket_t(context_, zmq::socket_type::rep);
    zap_socket_.set(zmq::sockopt::linger, 0);
    zap_socket_.bind(zap_endpoint);
    std::string control_endpoint =
        "inproc://slurp-zap-control-" +
        std::to_string(control_endpoint_counter.fetch_add(1));
    control_receiver_ = zmq::socket_t(context_, zmq::socket_type::pair);
    control_receiver_.set(zmq::sockopt::linger, 0);
    control_receiver_.bind(control_endpoint);
    control_sender_ = zmq::socket_t(context_, zmq::socket_type::pair);
    control_sender_.set(zmq::sockopt::linger, 0);
    control_sender_.connect(control_endpoint);
  } catch (const zmq::error_t& error) {
    zap_socket_.close();
    control_receiver_.close();
    control_sender_.close();
    return make_error(
        ErrorCode::internal,
        std::string("cannot bind the ZAP handler: ") + error.what(),
        zap_endpoint);
  }
  BlockAllSignals blocked;  // the new thread inherits the blocked mask
  thread_ = std::thread([this] { run(); });
  spdlog::info("ZAP handler bound on {} for domain '{}' ({} keys{})",
               zap_endpoint, domain_, key_count(),
               allow_null_ ? ", plaintext peers allowed" : "");
  return ok_status();
}

void ZapAuthenticator::stop() {
  if (!thread_.joinable()) return;
  // A PAIR to a connected, empty inproc peer cannot be full: one message wakes
  // the thread at once, so shutdown never waits on a poll timeout.
  // Raw calls, errors ignored: stop() runs in the destructor and must not
  // throw. If the context was terminated, the send fails but the thread has
  // already left its poll with ETERM, so the join still returns.
  zmq_send(control_sender_.handle(), "stop", 4, ZMQ_DONTWAIT);
  thread_.join();
  // close() frees an inproc name only once libzmq's reaper gets to it;
  // unbind frees it now, so a new handler can bind at once.
  zmq_unbind(zap_socket_.handle(), zap_endpoint);
  zap_socket_.close();
  control_receiver_.close();
  control_sender_.close();
}

Status ZapAuthenticator::reload() {
  if (keys_path_.empty()) {
    return make_error(ErrorCode::bad_request,
                      "no authorized-keys file to reload (none configured)");
  }
  Result<AuthorizedKeys> loaded = load_authorized_keys(keys_path_);
  if (!loaded) {
    spdlog::warn("authorized keys not reloaded, keeping the current table: {}",
                 loaded.error().describe());
    return loaded.error();
  }
  auto fresh = std::make_shared<const AuthorizedKeys>(std::move(*loaded));
  std::size_t count = fresh->size();
  {
    std::lock_guard lock(keys_mutex_);
    keys_ = std::move(fresh);
  }
  spdlog::info("authorized keys reloaded from {}: {} keys", keys_path_.string(),
               count);
  return ok_status();
}

std::size_t ZapAuthenticator::key_count() const {
  return current_keys()->size();
}

std::shared_ptr<const AuthorizedKeys> ZapAuthenticator::current_keys() const {
  std::lock_guard lock(keys_mutex_);
  return keys_;
}

void ZapAuthenticator::run() {
  zmq_pollitem_t items[] = {
      {zap_socket_.handle(), 0, ZMQ_POLLIN, 0},
      {control_receiver_.handle(), 0, ZMQ_POLLIN, 0},
  };
  try {
    for (;;) {
      poll_items(items, std::chrono::milliseconds(-1));
      if (items[1].revents & ZMQ_POLLIN) return;
      if (items[0].revents & ZMQ_POLLIN) serve_one();
    }
  } catch (const zmq::error_t& error) {
    // Only ETERM is expected here (context closed under us). Handshakes now
    // time out unanswered, which refuses them: still closed, not open.
    spdlog::error("ZAP handler stopped: {}", error.what());
  }
}

void ZapAuthenticator::serve_one() {
  std::vector<zmq::message_t> request;
  bool too_many_frames = false;
  for (;;) {
    zmq::message_t frame;
    if (!zap_socket_.recv(frame, zmq::recv_flags::dontwait)) {
      if (request.empty()) return;  // spurious wake-up, nothing to answer
      break;  // parts of one message arrive together; cannot happen
    }
    bool more = frame.more();
    if (request.size() < zap_request_frames_max) {
      request.push_back(std::move(frame));
    } else {
      too_many_frames = true;
    }
    if (!more) break;
  }
  Verdict verdict = decide(request, too_many_frames);
  report(verdict.decision);

  const AuthDecision& d = verdict.decision;
  std::string metadata;
  if (d.role) {
    metadata = encode_zmtp_metadata(
        {{zap_role_property, std::string(role_name(*d.role))},
         {zap_vouch_property, zap_vouch_token()}});
  }
  auto more = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
  // The session that asked may be gone already; REP then drops the reply.
  zap_socket_.send(zmq::str_buffer("1.0"), more);
  zap_socket_.send(zmq::buffer(verdict.request_id), more);
  zap_socket_.send(zmq::buffer(std::to_string(d.status_code)), more);
  zap_socket_.send(zmq::buffer(d.reason), more);
  zap_socket_.send(zmq::buffer(d.accepted ? d.name : std::string()), more);
  zap_socket_.send(zmq::buffer(metadata), zmq::send_flags::dontwait);
}

ZapAuthenticator::Verdict ZapAuthenticator::decide(
    const std::vector<zmq::message_t>& request, bool too_many_frames) const {
  Verdict verdict;
  AuthDecision& d = verdict.decision;
  auto refuse = [&](int code, std::string reason) {
    d.status_code = code;
    d.reason = std::move(reason);
    return verdict;
  };
  if (request.size() >= 2) verdict.request_id = frame_view(request[1]);
  if (too_many_frames || request.size() < zap_request_frames_min) {
    return refuse(500, "malformed ZAP request");
  }
  if (frame_view(request[0]) != "1.0") {
    return refuse(500, "unsupported ZAP version");
  }
  std::string_view domain = frame_view(request[2]);
  d.peer_address = printable(frame_view(request[3]));
  d.mechanism = printable(frame_view(request[5]));
  std::size_t credentials = request.size() - zap_request_frames_min;
  if (d.mechanism == "CURVE") {
    if (credentials != 1 || request[6].size() != curve_key_raw_bytes) {
      return refuse(500, "malformed CURVE credentials");
    }
    d.public_key_z85 = raw_key_to_z85(frame_view(request[6]));
  }
  // Checked for every mechanism: a server socket with no or another domain
  // is a configuration slip, and slips must refuse, not admit.
  const bool work = domain == domain_ + work_domain_suffix;
  if (domain != domain_ && !work) {
    return refuse(400, "wrong ZAP domain '" + printable(domain) + "'");
  }
  if (d.mechanism == "CURVE") {
    std::optional<KeyEntry> entry =
        current_keys()->find(frame_view(request[6]));
    if (!entry) return refuse(400, "unknown key");
    d.name = entry->name;
    d.role = entry->role;
    if (work && entry->role != Role::worker && entry->role != Role::node) {
      d.role.reset();
      return refuse(400, "role " + std::string(role_name(entry->role)) +
                             " may not take jobs or deliver results");
    }
  } else if (d.mechanism == "NULL") {
    if (credentials != 0) return refuse(500, "malformed NULL request");
    if (!allow_null_) {
      return refuse(400, "plaintext (NULL) connections are not allowed");
    }
    d.name = insecure_user_id;
    d.role = insecure_role;
  } else {
    return refuse(400, "mechanism " + d.mechanism + " is not allowed");
  }
  d.accepted = true;
  d.status_code = 200;
  d.reason = "OK";
  return verdict;
}

void ZapAuthenticator::report(const AuthDecision& d) {
  if (d.accepted) {
    accepted_.fetch_add(1);
    spdlog::info("ZAP accepted {} peer {} key {} as '{}' ({})", d.mechanism,
                 d.peer_address, d.public_key_z85, d.name,
                 role_name(d.role.value_or(insecure_role)));
  } else {
    refused_.fetch_add(1);
    spdlog::warn("ZAP refused {} peer {} key {}: {} {}", d.mechanism,
                 d.peer_address,
                 d.public_key_z85.empty() ? "-" : d.public_key_z85,
                 d.status_code, d.reason);
  }
  if (!audit_) return;
  try {
    audit_(d);
  } catch (const std::exception& error) {
    // The decision stands; losing its audit record is logged, not fatal.
    spdlog::error("ZAP audit callback failed: {}", error.what());
  }
}

}  // namespace slurp::bus
