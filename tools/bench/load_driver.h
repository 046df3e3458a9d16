// The load slurp-bench puts on a leader: `clients` DEALER sockets (CURVE),
// each pipelining up to `pipeline` generate requests to one node's api,
// all driven by one zmq_poll loop on the calling thread. One thread keeps
// the bench off the two cores the nodes need, and one loop over 64 sockets
// is far from being the limit (see README "Benchmarks").
//
// By default every request is a generate with a fresh request_id and
// address, so each one makes a new job; LoadOptions::make_request sends
// something else (the store phase: update_context). A request is
// acknowledged when its generate_reply (update_reply) arrives; an error
// reply or no reply within reply_timeout is counted by name, never
// retried (a benchmark measures; it does not paper over refusals).
//
// Threads: a LoadDriver owns its sockets; use it from the thread that made
// it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

#include "bus/curve_keys.h"
#include "protocol/messages.h"
#include "protocol/result.h"

namespace slurp::bench {

using Clock = std::chrono::steady_clock;

struct LoadOptions {
  std::string endpoint;           // the leader's api
  std::string server_public_z85;  // its public key
  // Client i uses keys[i % keys.size()]; each key is one requester, with
  // its own share of the queue (requester_jobs_max).
  std::vector<bus::CurveKeyPair> keys;
  std::size_t clients = 64;
  std::size_t pipeline = 8;  // requests in flight per client
  // Sending stops after `duration`, or once `requests` were sent in all;
  // 0 leaves that bound out (one of them must be set).
  std::chrono::milliseconds duration{0};
  std::uint64_t requests = 0;
  // A request unanswered this long counts as error "timeout". Above the
  // node's own request_timeout_ms (10 s), which answers first.
  std::chrono::milliseconds reply_timeout{15000};
  std::chrono::milliseconds connect_timeout{10000};
  std::string tag;  // request ids are "<tag>-<n>"
  // Request number n (1, 2, ...) with id n; empty: a generate of a fresh
  // address. Called on the driver's thread as it sends.
  std::function<Message(std::uint64_t n)> make_request;
};

struct LoadResult {
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::map<std::string, std::uint64_t> errors;  // error name -> count
  std::vector<std::uint32_t> latencies_us;      // send -> reply, acked only
  // Acknowledgements in each second from the first send: shows stalls
  // (a snapshot, an election) that an average hides.
  std::vector<std::uint64_t> acked_per_second;
  Clock::time_point first_send{};
  Clock::time_point last_ack{};

  std::uint64_t error_total() const;
  // Acknowledged requests per second from the first send to the last
  // acknowledgement; 0 when nothing was acknowledged.
  double acked_per_s() const;
  // The p-quantile (0 < p <= 1, nearest rank) of latencies_us in ms.
  double latency_ms(double p) const;
};

class LoadDriver {
 public:
  LoadDriver(zmq::context_t& context, LoadOptions options);
  LoadDriver(const LoadDriver&) = delete;
  LoadDriver& operator=(const LoadDriver&) = delete;

  // Connects every client and waits until each has finished its CURVE
  // handshake, so that no measured latency includes one. Errors: timeout.
  Status connect();
  // Runs the load until it is done, every reply is in (or timed out), or
  // stop() says so. Call after connect().
  LoadResult run(const std::function<bool()>& stop);

 private:
  struct Client {
    zmq::socket_t socket;
    std::unordered_map<std::uint64_t, Clock::time_point> in_flight;  // by id
    std::uint64_t quota = 0;        // requests left to send (count mode)
    Clock::time_point resume_at{};  // backing off after a refusal until
  };

  void assign_quotas();
  Message make_request(std::uint64_t n) const;
  bool may_send(Clock::time_point now) const;
  void fill(Client& client, Clock::time_point now, LoadResult& result);
  void drain(Client& client, LoadResult& result);
  void on_reply(Client& client, const Message& reply, Clock::time_point now,
                LoadResult& result);
  void expire(Clock::time_point now, LoadResult& result);

  LoadOptions options_;
  std::vector<Client> clients_;
  std::uint64_t next_request_ = 1;  // request and correlation ids
  std::size_t in_flight_total_ = 0;
  Clock::time_point send_deadline_{};
  Bytes content_;
};

}  // namespace slurp::bench
