#include "src/node/request_table.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace slurp::node {

std::optional<RequestTable::Refused> RequestTable::hold(ClientRequest request) {
  if (held_.size() >= limits_.held_max) {
    Error error =
        make_error(ErrorCode::no_quorum,
                   "no leader is known and " + std::to_string(held_.size()) +
                       " requests are already waiting for one");
    return Refused{std::move(request), std::move(error)};
  }
  held_.push_back(std::move(request));
  return std::nullopt;
}

std::vector<ClientRequest> RequestTable::take_held_due(
    std::uint64_t steady_now_ms) {
  std::vector<ClientRequest> due;
  std::deque<ClientRequest> waiting;
  for (ClientRequest& request : held_) {
    if (request.not_before_ms > steady_now_ms) {
      waiting.push_back(std::move(request));
    } else {
      due.push_back(std::move(request));
    }
  }
  held_.swap(waiting);
  return due;
}

// A `list` page is up to reply_page_bytes_max (1 MiB), other replies a
// few KiB: a list counts as list_forward_weight forwards, so one connection
// has at most 64 pages crossing the leader's link at once.
std::size_t RequestTable::forward_weight(const ClientRequest& request) const {
  return std::holds_alternative<ListContexts>(request.request)
             ? limits_.list_forward_weight
             : 1;
}

std::optional<Error> RequestTable::forward_refusal(
    const ClientRequest& request) const {
  if (forwarded_.size() >= limits_.forwarded_max) {
    return make_error(ErrorCode::unavailable,
                      std::to_string(forwarded_.size()) +
                          " requests already forwarded and unanswered; "
                          "retry later");
  }
  // Per client connection too: a forwarded read can come back as a 1 MiB
  // page, so one connection that never reads must not have thousands of
  // them crossing the leader's link to us. A follower relaying for its
  // clients is not a client connection.
  if (request.route.node_peer) return std::nullopt;
  auto counted = forwards_by_connection_.find(request.route.routing_id);
  const std::size_t of_connection =
      counted == forwards_by_connection_.end() ? 0 : counted->second;
  if (of_connection + forward_weight(request) >
      limits_.forwarded_per_connection_max) {
    return make_error(ErrorCode::unavailable,
                      std::to_string(of_connection) +
                          " requests of this connection already forwarded "
                          "to the leader; read their replies, then retry");
  }
  return std::nullopt;
}

std::uint64_t RequestTable::add_forwarded(ClientRequest request,
                                          std::string leader,
                                          std::uint64_t steady_now_ms) {
  const std::uint64_t id = next_forward_id_++;
  forwards_by_connection_[request.route.routing_id] += forward_weight(request);
  forwarded_.emplace(
      id, Forwarded{std::move(request), std::move(leader), steady_now_ms});
  return id;
}

ClientRequest* RequestTable::forwarded(std::uint64_t forward_id) {
  auto it = forwarded_.find(forward_id);
  return it == forwarded_.end() ? nullptr : &it->second.request;
}

// Gives the forward's weight back to its connection, then removes it and
// returns its request.
ClientRequest RequestTable::extract_forward(
    std::map<std::uint64_t, Forwarded>::iterator it) {
  auto count =
      forwards_by_connection_.find(it->second.request.route.routing_id);
  if (count != forwards_by_connection_.end() &&
      (count->second -=
       std::min(count->second, forward_weight(it->second.request))) == 0) {
    forwards_by_connection_.erase(count);
  }
  ClientRequest request = std::move(it->second.request);
  forwarded_.erase(it);
  return request;
}

std::optional<ClientRequest> RequestTable::take_forwarded(
    std::uint64_t forward_id) {
  auto it = forwarded_.find(forward_id);
  if (it == forwarded_.end()) return std::nullopt;
  return extract_forward(it);
}

std::vector<ClientRequest> RequestTable::take_forwarded_elsewhere(
    const std::optional<std::string>& leader) {
  std::vector<ClientRequest> out;
  for (auto it = forwarded_.begin(); it != forwarded_.end();) {
    if (leader && it->second.to == *leader) {
      ++it;
      continue;
    }
    auto next = std::next(it);
    out.push_back(extract_forward(it));
    it = next;
  }
  return out;
}

void RequestTable::proposed(std::uint64_t index, std::uint64_t term,
                            ClientRequest request) {
  proposals_.insert_or_assign(index, Proposal{term, std::move(request)});
}

std::optional<RequestTable::Applied> RequestTable::take_proposal(
    const LogEntry& entry) {
  auto it = proposals_.find(entry.index);
  if (it == proposals_.end()) return std::nullopt;
  Applied applied{std::move(it->second.request), it->second.term == entry.term};
  proposals_.erase(it);
  return applied;
}

std::optional<Error> RequestTable::read_refusal() const {
  if (reads_.size() < limits_.reads_max) return std::nullopt;
  return make_error(
      ErrorCode::unavailable,
      std::to_string(reads_.size()) + " reads already waiting; retry later");
}

void RequestTable::add_read(std::uint64_t read_id, ClientRequest request) {
  reads_.emplace(read_id, std::move(request));
}

void RequestTable::read_confirmed(const consensus::ReadState& read) {
  read_states_.push_back(read);
}

std::vector<ClientRequest> RequestTable::take_reads_due(
    std::uint64_t applied_index, std::size_t count_max) {
  std::vector<ClientRequest> due;
  auto keep = read_states_.begin();
  for (auto it = read_states_.begin(); it != read_states_.end(); ++it) {
    if (due.size() >= count_max || it->index > applied_index) {
      *keep++ = *it;
      continue;
    }
    auto read = reads_.find(it->request_id);
    if (read == reads_.end()) continue;  // timed out meanwhile
    due.push_back(std::move(read->second));
    reads_.erase(read);
  }
  read_states_.erase(keep, read_states_.end());
  return due;
}

bool RequestTable::add_waiter(std::uint64_t job_id, ClientRequest request) {
  if (waiters_.size() >= limits_.waiters_max) return false;
  waiters_.emplace(job_id, std::move(request));
  return true;
}

std::vector<ClientRequest> RequestTable::take_waiters(std::uint64_t job_id) {
  std::vector<ClientRequest> out;
  auto [first, last] = waiters_.equal_range(job_id);
  for (auto it = first; it != last; ++it) out.push_back(std::move(it->second));
  waiters_.erase(first, last);
  return out;
}

std::vector<ClientRequest> RequestTable::take_leader_requests() {
  std::vector<ClientRequest> out;
  for (auto& [index, proposal] : proposals_) {
    out.push_back(std::move(proposal.request));
  }
  proposals_.clear();
  for (auto& [id, request] : reads_) out.push_back(std::move(request));
  reads_.clear();
  read_states_.clear();
  for (auto& [job, request] : waiters_) out.push_back(std::move(request));
  waiters_.clear();
  return out;
}

RequestTable::Expired RequestTable::expire(
    std::uint64_t now, const std::function<bool(const Bytes&)>& dropped) {
  Expired out;
  std::deque<ClientRequest> keep;
  for (ClientRequest& request : held_) {
    if (now >= request.received_ms + limits_.hold_ms) {
      Error error = make_error(ErrorCode::no_quorum,
                               "no leader was elected within " +
                                   std::to_string(limits_.hold_ms) + " ms");
      out.refused.push_back(Refused{std::move(request), std::move(error)});
    } else {
      keep.push_back(std::move(request));
    }
  }
  held_.swap(keep);
  for (auto it = forwarded_.begin(); it != forwarded_.end();) {
    const ClientRequest& request = it->second.request;
    auto next = std::next(it);
    // A dropped connection's forwards are neither answered nor sent again
    // (a resend would ask the leader for the same pages once more).
    if (dropped && dropped(request.route.routing_id)) {
      (void)extract_forward(it);
    } else if (!request.replied &&
               now >= request.received_ms + limits_.timeout_ms) {
      Error error = make_error(ErrorCode::timeout,
                               "the leader did not answer in time; retry "
                               "with the same request_id");
      out.refused.push_back(Refused{extract_forward(it), std::move(error)});
    } else if (!request.replied &&
               now >= it->second.sent_ms + limits_.forward_retry_ms) {
      out.resend.push_back(extract_forward(it));
    }
    it = next;
  }
  auto timed_out = [&](ClientRequest& request) {
    if (now < request.received_ms + limits_.timeout_ms) return false;
    out.refused.push_back(Refused{
        std::move(request),
        make_error(ErrorCode::timeout,
                   "not committed in time; retry with the same request_id")});
    return true;
  };
  for (auto it = proposals_.begin(); it != proposals_.end();) {
    it = timed_out(it->second.request) ? proposals_.erase(it) : std::next(it);
  }
  for (auto it = reads_.begin(); it != reads_.end();) {
    it = timed_out(it->second) ? reads_.erase(it) : std::next(it);
  }
  return out;
}

bool RequestTable::drained() const {
  if (!proposals_.empty() || !reads_.empty() || !held_.empty()) return false;
  return std::all_of(forwarded_.begin(), forwarded_.end(),
                     [](const auto& f) { return f.second.request.replied; });
}

std::vector<ClientRequest> RequestTable::take_unanswered() {
  std::vector<ClientRequest> out;
  for (ClientRequest& r : held_) out.push_back(std::move(r));
  for (auto& [id, f] : forwarded_) {
    if (!f.request.replied) out.push_back(std::move(f.request));
  }
  for (auto& [index, p] : proposals_) out.push_back(std::move(p.request));
  for (auto& [id, r] : reads_) out.push_back(std::move(r));
  held_.clear();
  forwarded_.clear();
  forwards_by_connection_.clear();
  proposals_.clear();
  reads_.clear();
  read_states_.clear();
  return out;
}

}  // namespace slurp::node
