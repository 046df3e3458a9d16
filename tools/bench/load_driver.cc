#include "tools/bench/load_driver.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "bus/poll.h"
#include "bus/received_message.h"
#include "bus/socket.h"
#include "protocol/codec.h"

namespace slurp::bench {
namespace {

// Latency samples kept; beyond this (over 13 minutes at 20k/s) the run
// still counts requests but stops recording their latency.
constexpr std::size_t latency_samples_max = std::size_t{1} << 24;
// How long a client pauses after an error reply before sending again, as
// PROTOCOL.md asks of clients ("Back off"), so that a refusing node is not
// flooded by the bench.
constexpr std::chrono::milliseconds refusal_backoff{100};
// Seconds of acked_per_second kept (an hour).
constexpr std::size_t timeline_seconds_max = 3600;
constexpr std::chrono::milliseconds poll_wait{5};
constexpr std::chrono::milliseconds expiry_interval{100};
// "package bench\n": the inline content of every request. Small, so the
// run measures the queue and not the copying of file bodies.
constexpr std::string_view kContent = "package bench\n";

std::uint64_t reply_id(const Message& message) {
  return std::visit(
      [](const auto& m) -> std::uint64_t {
        if constexpr (requires { m.id; }) {
          return m.id;
        } else {
          return 0;
        }
      },
      message);
}

}  // namespace

std::uint64_t LoadResult::error_total() const {
  std::uint64_t total = 0;
  for (const auto& [name, count] : errors) total += count;
  return total;
}

double LoadResult::acked_per_s() const {
  if (acked == 0) return 0;
  const std::chrono::duration<double> took = last_ack - first_send;
  return took.count() > 0 ? static_cast<double>(acked) / took.count() : 0;
}

double LoadResult::latency_ms(double p) const {
  assert(p > 0 && p <= 1);
  if (latencies_us.empty()) return 0;
  std::vector<std::uint32_t> sorted = latencies_us;
  const auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(p * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  auto nth = sorted.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(sorted.begin(), nth, sorted.end());
  return static_cast<double>(*nth) / 1000.0;
}

LoadDriver::LoadDriver(zmq::context_t& context, LoadOptions options)
    : options_(std::move(options)), content_(kContent.begin(), kContent.end()) {
  assert(!options_.keys.empty() && options_.clients > 0);
  assert(options_.keys.size() <= options_.clients);
  assert(options_.pipeline > 0);
  assert(options_.duration.count() > 0 || options_.requests > 0);
  clients_.reserve(options_.clients);
  for (std::size_t i = 0; i < options_.clients; ++i) {
    const bus::CurveKeyPair& key = options_.keys[i % options_.keys.size()];
    bus::CurveClient security{key.public_z85, key.secret_z85,
                              options_.server_public_z85};
    clients_.push_back(
        Client{bus::make_socket(context, zmq::socket_type::dealer, security),
               {},
               0,
               {}});
  }
  assign_quotas();
}

// In count mode each requester (key) gets an equal share of the requests,
// split evenly over its clients, so no requester runs into its own
// requester_jobs_max before the others while the total still fits.
void LoadDriver::assign_quotas() {
  const std::uint64_t requests = options_.requests;
  if (requests == 0) {
    for (Client& c : clients_) c.quota = std::numeric_limits<uint64_t>::max();
    return;
  }
  const std::size_t keys = options_.keys.size();
  for (std::size_t k = 0; k < keys; ++k) {
    const std::uint64_t key_quota = requests / keys + (k < requests % keys);
    std::vector<Client*> members;
    for (std::size_t i = k; i < clients_.size(); i += keys) {
      members.push_back(&clients_[i]);
    }
    const std::uint64_t m = members.size();
    for (std::uint64_t j = 0; j < m; ++j) {
      members[j]->quota = key_quota / m + (j < key_quota % m);
    }
  }
}

Status LoadDriver::connect() {
  for (Client& c : clients_) c.socket.connect(options_.endpoint);
  // A DEALER with immediate=on (make_socket's default) is writable only
  // once its handshake is done.
  const auto deadline = Clock::now() + options_.connect_timeout;
  std::vector<bool> ready(clients_.size(), false);
  std::size_t ready_count = 0;
  while (ready_count < clients_.size()) {
    if (Clock::now() >= deadline) {
      return make_error(ErrorCode::timeout,
                        std::to_string(clients_.size() - ready_count) + " of " +
                            std::to_string(clients_.size()) +
                            " clients not connected to " + options_.endpoint +
                            " (is the key authorized?)");
    }
    std::vector<zmq_pollitem_t> items;
    for (Client& c : clients_) {
      items.push_back({c.socket.handle(), 0, ZMQ_POLLOUT, 0});
    }
    bus::poll_items(items, std::chrono::milliseconds(50));
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!ready[i] && (items[i].revents & ZMQ_POLLOUT)) {
        ready[i] = true;
        ++ready_count;
      }
    }
  }
  return ok_status();
}

bool LoadDriver::may_send(Clock::time_point now) const {
  return options_.duration.count() == 0 || now < send_deadline_;
}

void LoadDriver::fill(Client& client, Clock::time_point now,
                      LoadResult& result) {
  if (now < client.resume_at) return;
  while (client.quota > 0 && client.in_flight.size() < options_.pipeline) {
    const std::uint64_t n = next_request_;
    const std::string payload = encode(make_request(n));
    // EAGAIN (high-water mark) leaves the request for the next round.
    if (!client.socket.send(zmq::buffer(payload), zmq::send_flags::dontwait)) {
      return;
    }
    if (result.sent == 0) result.first_send = now;
    ++next_request_;
    ++result.sent;
    --client.quota;
    ++in_flight_total_;
    client.in_flight.emplace(n, now);
  }
}

Message LoadDriver::make_request(std::uint64_t n) const {
  if (options_.make_request) return options_.make_request(n);
  Generate request;
  request.id = n;
  request.request_id = options_.tag + "-" + std::to_string(n);
  request.address = "ucxl://bench/f" + std::to_string(n) + ".go";
  request.content = content_;
  return request;
}

void LoadDriver::on_reply(Client& client, const Message& reply,
                          Clock::time_point now, LoadResult& result) {
  auto it = client.in_flight.find(reply_id(reply));
  if (it == client.in_flight.end()) return;  // already counted as timeout
  const auto latency =
      std::chrono::duration_cast<std::chrono::microseconds>(now - it->second);
  client.in_flight.erase(it);
  --in_flight_total_;
  if (std::holds_alternative<GenerateReply>(reply) ||
      std::holds_alternative<UpdateReply>(reply)) {
    ++result.acked;
    result.last_ack = now;
    const auto second = static_cast<std::size_t>(
        std::chrono::duration_cast<std::chrono::seconds>(now -
                                                         result.first_send)
            .count());
    if (second < timeline_seconds_max) {
      if (result.acked_per_second.size() <= second) {
        result.acked_per_second.resize(second + 1, 0);
      }
      ++result.acked_per_second[second];
    }
    if (result.latencies_us.size() < latency_samples_max) {
      result.latencies_us.push_back(
          static_cast<std::uint32_t>(std::min<std::int64_t>(
              latency.count(), std::numeric_limits<std::uint32_t>::max())));
    }
  } else if (const auto* error = std::get_if<ErrorReply>(&reply)) {
    ++result.errors[error->name];
    client.resume_at = now + refusal_backoff;
  } else {
    ++result.errors["unexpected_" + std::string(message_type(reply))];
  }
}

void LoadDriver::drain(Client& client, LoadResult& result) {
  for (;;) {
    auto received = bus::receive_message(client.socket);
    if (!received) return;
    const auto now = Clock::now();
    if (!*received || received->value().rejected ||
        received->value().frames.empty()) {
      ++result.errors["unreadable_reply"];
      continue;
    }
    const zmq::message_t& body = received->value().frames.back();
    auto reply = decode(std::string_view(body.data<char>(), body.size()));
    if (!reply) {
      ++result.errors["undecodable_reply"];
      continue;
    }
    on_reply(client, *reply, now, result);
  }
}

void LoadDriver::expire(Clock::time_point now, LoadResult& result) {
  for (Client& c : clients_) {
    std::erase_if(c.in_flight, [&](const auto& entry) {
      if (now - entry.second < options_.reply_timeout) return false;
      ++result.errors["timeout"];
      --in_flight_total_;
      return true;
    });
  }
}

LoadResult LoadDriver::run(const std::function<bool()>& stop) {
  LoadResult result;
  if (options_.requests > 0 && options_.requests < latency_samples_max) {
    result.latencies_us.reserve(options_.requests);
  }
  const auto start = Clock::now();
  send_deadline_ = start + options_.duration;
  auto next_expiry = start + expiry_interval;
  // Once sending ends, replies still in flight get one reply_timeout.
  std::optional<Clock::time_point> drain_deadline;
  std::vector<zmq_pollitem_t> items;
  for (Client& c : clients_) {
    items.push_back({c.socket.handle(), 0, ZMQ_POLLIN, 0});
  }
  for (;;) {
    auto now = Clock::now();
    const bool sending = may_send(now) && !stop();
    if (sending) {
      for (Client& c : clients_) fill(c, now, result);
    } else if (!drain_deadline) {
      drain_deadline = now + options_.reply_timeout;
    }
    const bool all_sent =
        !sending || (options_.requests > 0 && result.sent == options_.requests);
    if (all_sent && in_flight_total_ == 0) break;
    if (drain_deadline && now >= *drain_deadline) break;
    bus::poll_items(items, poll_wait);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].revents & ZMQ_POLLIN) drain(clients_[i], result);
    }
    now = Clock::now();
    if (now >= next_expiry) {
      expire(now, result);
      next_expiry = now + expiry_interval;
    }
  }
  // What is still unanswered after the drain counts as timed out.
  for (Client& c : clients_) {
    result.errors["timeout"] += c.in_flight.size();
    in_flight_total_ -= c.in_flight.size();
    c.in_flight.clear();
  }
  if (result.errors["timeout"] == 0) result.errors.erase("timeout");
  return result;
}

}  // namespace slurp::bench
