#include "tests/consensus/golden_cluster.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <utility>

namespace slurp::consensus::test {

// A command line split into words: the command, positional arguments and
// key=value options.
struct GoldenCluster::Args {
  std::string command;
  std::vector<std::string> words;
  std::vector<std::pair<std::string, std::string>> options;

  const std::string& word(std::size_t i) const {
    if (i >= words.size()) {
      throw std::runtime_error(command + ": missing argument " +
                               std::to_string(i + 1));
    }
    return words[i];
  }
};

namespace {

// Bounds so that a script that never settles fails instead of hanging.
constexpr std::size_t kStabilizeRoundsMax = 10000;
constexpr std::size_t kCampaignTicksMax = 1000;
// Longer data is cut in the output: the first bytes identify it.
constexpr std::size_t kPrintedDataBytesMax = 40;

// User entries are proposed with this kind; kind 0 is the leader's no-op.
constexpr std::uint64_t kUserKind = 1;

std::uint64_t parse_u64(const std::string& text) {
  std::size_t used = 0;
  std::uint64_t value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    throw std::runtime_error("not a number: " + text);
  }
  return value;
}

bool parse_bool(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  throw std::runtime_error("not true/false: " + text);
}

// The Config fields a script may set with `cluster N key=value...`.
void set_option(Config& c, const std::string& key, const std::string& value) {
  if (key == "pre_vote") {
    c.pre_vote = parse_bool(value);
  } else if (key == "check_quorum") {
    c.check_quorum = parse_bool(value);
  } else if (key == "election_ticks_min") {
    c.election_ticks_min = parse_u64(value);
  } else if (key == "election_ticks_max") {
    c.election_ticks_max = parse_u64(value);
  } else if (key == "heartbeat_ticks") {
    c.heartbeat_ticks = parse_u64(value);
  } else if (key == "append_entries_max") {
    c.append_entries_max = parse_u64(value);
  } else if (key == "inflight_appends_max") {
    c.inflight_appends_max = parse_u64(value);
  } else if (key == "uncommitted_entries_max") {
    c.uncommitted_entries_max = parse_u64(value);
  } else if (key == "snapshot_chunk_bytes_max") {
    c.snapshot_chunk_bytes_max = parse_u64(value);
  } else if (key == "pending_reads_max") {
    c.pending_reads_max = parse_u64(value);
  } else if (key == "seed") {
    c.seed = parse_u64(value);
  } else {
    throw std::runtime_error("unknown cluster option: " + key);
  }
}

std::string quoted(const Bytes& data) {
  std::string out = "\"";
  const std::size_t n = std::min(data.size(), kPrintedDataBytesMax);
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char ch = data[i];
    if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
      out += static_cast<char>(ch);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", ch);
      out += hex;
    }
  }
  out += "\"";
  if (n < data.size()) out += "...";
  return out;
}

std::string at(std::uint64_t index, std::uint64_t term) {
  return std::to_string(index) + "/" + std::to_string(term);
}

std::string entry_text(const LogEntry& e) {
  std::string out = at(e.index, e.term) + ":";
  if (e.kind == Raft::kNoOpKind) return out + "noop";
  if (e.kind != kUserKind) out += "kind" + std::to_string(e.kind) + ":";
  return out + quoted(e.data);
}

std::string entries_text(const std::vector<LogEntry>& entries) {
  std::string out;
  for (const LogEntry& e : entries) out += " " + entry_text(e);
  return out;
}

std::string type_name(const RaftMessage& m) {
  if (const auto* v = std::get_if<Vote>(&m)) {
    return v->pre_vote ? "pre_vote" : "vote";
  }
  if (const auto* r = std::get_if<VoteReply>(&m)) {
    return r->pre_vote ? "pre_vote_reply" : "vote_reply";
  }
  // An Append without entries only proves leadership and carries commit.
  if (const auto* a = std::get_if<Append>(&m)) {
    return a->entries.empty() ? "heartbeat" : "append";
  }
  if (std::holds_alternative<AppendReply>(m)) return "append_reply";
  if (std::holds_alternative<SnapshotChunk>(m)) return "snapshot_chunk";
  if (std::holds_alternative<SnapshotReply>(m)) return "snapshot_reply";
  return "timeout_now";
}

// The fields that decide what the receiver does, after the type and term.
std::string fields_text(const RaftMessage& m) {
  if (const auto* v = std::get_if<Vote>(&m)) {
    return " last=" + at(v->last_log_index, v->last_log_term);
  }
  if (const auto* r = std::get_if<VoteReply>(&m)) {
    return r->granted ? " granted" : " refused";
  }
  if (const auto* a = std::get_if<Append>(&m)) {
    return " prev=" + at(a->prev_log_index, a->prev_log_term) +
           " commit=" + std::to_string(a->commit_index) +
           " seq=" + std::to_string(a->seq) + entries_text(a->entries);
  }
  if (const auto* r = std::get_if<AppendReply>(&m)) {
    std::string out = r->success
                          ? " ok match=" + std::to_string(r->match_index)
                          : " reject hint=" + at(r->hint_index, r->hint_term);
    return out + " seq=" + std::to_string(r->seq);
  }
  if (const auto* c = std::get_if<SnapshotChunk>(&m)) {
    return " snapshot=" + at(c->last_index, c->last_term) +
           " offset=" + std::to_string(c->offset) +
           " bytes=" + std::to_string(c->data.size()) +
           " total=" + std::to_string(c->total_bytes) +
           (c->done ? " done" : "");
  }
  if (const auto* r = std::get_if<SnapshotReply>(&m)) {
    return " next_offset=" + std::to_string(r->next_offset) +
           (r->done ? " done" : "");
  }
  return "";
}

std::uint64_t term_of(const RaftMessage& m) {
  return std::visit([](const auto& x) { return x.term; }, m);
}

std::string message_text(const NodeId& from, const Envelope& e) {
  return from + "->" + e.to + " " + type_name(e.message) +
         " term=" + std::to_string(term_of(e.message)) + fields_text(e.message);
}

std::string status_text(const Status& s) {
  return s.ok() ? "ok" : "error: " + s.error().describe();
}

}  // namespace

std::string GoldenCluster::run(const std::string& line) {
  Args a;
  std::istringstream in(line);
  in >> a.command;
  for (std::string word; in >> word;) {
    const std::size_t eq = word.find('=');
    if (eq == std::string::npos) {
      a.words.push_back(word);
    } else {
      a.options.emplace_back(word.substr(0, eq), word.substr(eq + 1));
    }
  }
  using Handler = void (GoldenCluster::*)(const Args&);
  static const std::map<std::string, Handler> kCommands = {
      {"cluster", &GoldenCluster::cmd_cluster},
      {"tick", &GoldenCluster::cmd_tick},
      {"campaign", &GoldenCluster::cmd_campaign},
      {"process", &GoldenCluster::cmd_process},
      {"deliver", &GoldenCluster::cmd_deliver},
      {"stabilize", &GoldenCluster::cmd_stabilize},
      {"propose", &GoldenCluster::cmd_propose},
      {"read-index", &GoldenCluster::cmd_read_index},
      {"transfer", &GoldenCluster::cmd_transfer},
      {"compact", &GoldenCluster::cmd_compact},
      {"partition", &GoldenCluster::cmd_partition},
      {"isolate", &GoldenCluster::cmd_partition},
      {"heal", &GoldenCluster::cmd_partition},
      {"cut", &GoldenCluster::cmd_cut},
      {"crash", &GoldenCluster::cmd_crash},
      {"restart", &GoldenCluster::cmd_restart},
      {"status", &GoldenCluster::cmd_status},
  };
  const auto handler = kCommands.find(a.command);
  if (handler == kCommands.end()) {
    throw std::runtime_error("unknown command: " + a.command);
  }
  if (!a.options.empty() && a.command != "cluster") {
    throw std::runtime_error(a.command + " takes no key=value options");
  }
  out_.str("");
  indent_.clear();
  (this->*handler->second)(a);
  if (cluster_) note_changes();
  std::string text = out_.str();
  if (text.empty()) return "ok";
  text.pop_back();  // every printed line ends in '\n'
  return text;
}

TestCluster& GoldenCluster::cluster() {
  if (!cluster_) {
    throw std::runtime_error("no cluster yet: start with cluster N");
  }
  return *cluster_;
}

const NodeId& GoldenCluster::node_arg(const Args& a, std::size_t i) {
  const std::string& id = a.word(i);
  const auto& ids = cluster().ids;
  const auto it = std::find(ids.begin(), ids.end(), id);
  if (it == ids.end()) throw std::runtime_error("unknown node: " + id);
  return *it;
}

// ---- the cluster and time ---------------------------------------------------

void GoldenCluster::cmd_cluster(const Args& a) {
  const std::uint64_t n = parse_u64(a.word(0));
  // Unknown options fail here, before any node is built.
  Config probe;
  for (const auto& [key, value] : a.options) set_option(probe, key, value);
  cluster_ = std::make_unique<TestCluster>(n, [&](Config& c) {
    for (const auto& [key, value] : a.options) set_option(c, key, value);
  });
  readies_printed_.clear();
  seen_.clear();
  for (const NodeId& id : cluster_->ids) {
    readies_printed_[id] = cluster_->node(id).readies.size();
    seen_[id] = Seen{};
  }
}

void GoldenCluster::cmd_tick(const Args& a) {
  const NodeId& id = node_arg(a, 0);
  const std::uint64_t count = a.words.size() > 1 ? parse_u64(a.word(1)) : 1;
  if (cluster().node(id).down) {
    out_ << id << " is down\n";
    return;
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    cluster().raft(id).tick();
    note_changes();
  }
}

void GoldenCluster::cmd_campaign(const Args& a) {
  const NodeId& id = node_arg(a, 0);
  Raft& raft = cluster().raft(id);
  if (cluster().node(id).down || raft.role() != RaftRole::follower) {
    throw std::runtime_error(id + " is down or not a follower");
  }
  std::size_t ticks = 0;
  while (raft.role() == RaftRole::follower) {
    if (++ticks > kCampaignTicksMax)
      throw std::runtime_error("never timed out");
    raft.tick();
  }
  out_ << id << " timed out after " << ticks << " ticks\n";
}

// ---- Readies and messages ---------------------------------------------------

void GoldenCluster::process(const NodeId& id) {
  Node& node = cluster().node(id);
  if (node.down) return;
  cluster().process(id);
  std::size_t& printed = readies_printed_[id];
  for (; printed < node.readies.size(); ++printed) {
    print_ready(id, node.readies[printed]);
  }
}

void GoldenCluster::print_ready(const NodeId& id, const Ready& r) {
  out_ << "> " << id << " ready\n";
  if (r.hard_state) {
    const HardState& hs = *r.hard_state;
    out_ << "  hard_state term=" << hs.term
         << " vote=" << (hs.voted_for.empty() ? "-" : hs.voted_for)
         << " commit=" << hs.commit << "\n";
  }
  if (r.snapshot) {
    out_ << "  snapshot "
         << at(r.snapshot->meta.last_index, r.snapshot->meta.last_term) << " "
         << quoted(*r.snapshot->data.bytes()) << "\n";
  }
  if (!r.entries.empty())
    out_ << "  entries" << entries_text(r.entries) << "\n";
  if (!r.committed.empty()) {
    out_ << "  committed" << entries_text(r.committed) << "\n";
  }
  for (const ReadState& rs : r.reads) {
    out_ << "  read id=" << rs.request_id << " index=" << rs.index << "\n";
  }
  for (const Envelope& e : r.messages) {
    out_ << "  " << message_text(id, e) << "\n";
  }
}

std::size_t GoldenCluster::deliver(const NodeId& from, const NodeId& to) {
  TestCluster& c = cluster();
  // Stepping queues nothing (Readies wait for process), so the network
  // can be taken whole and the unmatched messages put back in order.
  std::deque<Sent> queued = std::move(c.network);
  c.network.clear();
  std::size_t delivered = 0;
  for (Sent& s : queued) {
    const NodeId& dest = s.envelope.to;
    if ((!from.empty() && s.from != from) || (!to.empty() && dest != to)) {
      c.network.push_back(std::move(s));
      continue;
    }
    ++delivered;
    out_ << indent_ << s.from << "->" << dest << " "
         << type_name(s.envelope.message);
    if (!c.link_up(s.from, dest)) {
      out_ << " dropped\n";
      continue;
    }
    out_ << "\n";
    c.raft(dest).step(s.envelope.message);
    note_changes();
  }
  return delivered;
}

void GoldenCluster::cmd_process(const Args& a) {
  if (a.words.empty()) {
    for (const NodeId& id : cluster().ids) process(id);
    return;
  }
  for (std::size_t i = 0; i < a.words.size(); ++i) process(node_arg(a, i));
}

// deliver [FROM|*] [TO|*]
void GoldenCluster::cmd_deliver(const Args& a) {
  NodeId from, to;
  if (a.words.size() > 0 && a.words[0] != "*") from = node_arg(a, 0);
  if (a.words.size() > 1 && a.words[1] != "*") to = node_arg(a, 1);
  if (deliver(from, to) == 0) out_ << "no messages\n";
}

void GoldenCluster::cmd_stabilize(const Args&) {
  TestCluster& c = cluster();
  for (std::size_t round = 0;; ++round) {
    if (round == kStabilizeRoundsMax) {
      throw std::runtime_error("the cluster never went quiet");
    }
    for (const NodeId& id : c.ids) process(id);
    if (c.network.empty()) return;
    out_ << "> deliver\n";
    indent_ = "  ";
    deliver("", "");
    indent_.clear();
  }
}

void GoldenCluster::note_changes() {
  for (const NodeId& id : cluster().ids) {
    Raft& raft = cluster().raft(id);
    const Seen now{raft.role(), raft.term(), raft.leader()};
    Seen& seen = seen_[id];
    if (now.role == seen.role && now.term == seen.term &&
        now.leader == seen.leader) {
      continue;
    }
    seen = now;
    out_ << indent_ << id << " is now " << raft_role_name(now.role)
         << " term=" << now.term << " leader=" << now.leader.value_or("-")
         << "\n";
  }
}

// ---- client requests --------------------------------------------------------

void GoldenCluster::cmd_propose(const Args& a) {
  const NodeId& id = node_arg(a, 0);
  auto r = cluster().raft(id).propose(kUserKind, bytes(a.word(1)));
  if (r.ok()) {
    out_ << "index " << r.value() << "\n";
  } else {
    out_ << "error: " << r.error().describe() << "\n";
  }
}

void GoldenCluster::cmd_read_index(const Args& a) {
  const NodeId& id = node_arg(a, 0);
  out_ << status_text(cluster().raft(id).read_index(parse_u64(a.word(1))))
       << "\n";
}

void GoldenCluster::cmd_transfer(const Args& a) {
  const NodeId& id = node_arg(a, 0);
  out_ << status_text(cluster().raft(id).transfer_leadership(a.word(1)))
       << "\n";
}

std::string GoldenCluster::state_of(const NodeId& id, std::uint64_t index_max) {
  const Node& node = cluster().node(id);
  std::string state;
  if (node.restored) {
    state.assign(node.restored->data.bytes()->begin(),
                 node.restored->data.bytes()->end());
  }
  for (const LogEntry& e : node.applied) {
    if (e.index > index_max || e.kind == Raft::kNoOpKind) continue;
    if (!state.empty()) state += ",";
    state.append(e.data.begin(), e.data.end());
  }
  return state;
}

// compact NODE INDEX: the node's state machine, as applied up to INDEX,
// becomes its snapshot. Written here rather than with TestCluster::compact
// so that a refusal is printed, not a failed REQUIRE.
void GoldenCluster::cmd_compact(const Args& a) {
  const NodeId& id = node_arg(a, 0);
  const std::uint64_t index = parse_u64(a.word(1));
  Node& node = cluster().node(id);
  const std::string state = state_of(id, index);
  std::uint64_t term = 0;
  for (const LogEntry& e : node.disk.entries) {
    if (e.index == index) term = e.term;
  }
  const Status s = node.raft->compact(index, bytes(state));
  out_ << status_text(s) << "\n";
  if (!s.ok()) return;
  node.disk.snapshot = Snapshot{SnapshotMeta{index, term}, bytes(state)};
  std::erase_if(node.disk.entries,
                [&](const LogEntry& e) { return e.index <= index; });
}

// ---- faults -----------------------------------------------------------------

// partition A B...: the named nodes and the rest cannot reach each other.
// isolate A: the same for one node. heal: every link works again.
void GoldenCluster::cmd_partition(const Args& a) {
  TestCluster& c = cluster();
  if (a.command == "heal") return c.heal();
  if (a.command == "isolate") return c.isolate(node_arg(a, 0));
  std::vector<NodeId> group;
  for (std::size_t i = 0; i < a.words.size(); ++i) {
    group.push_back(node_arg(a, i));
  }
  if (group.empty()) throw std::runtime_error("partition: name some nodes");
  for (const NodeId& inside : group) {
    for (const NodeId& outside : c.ids) {
      if (std::find(group.begin(), group.end(), outside) != group.end()) {
        continue;
      }
      c.cut.insert({inside, outside});
      c.cut.insert({outside, inside});
    }
  }
}

// cut FROM TO: messages from FROM to TO are dropped (one direction).
void GoldenCluster::cmd_cut(const Args& a) {
  cluster().cut.insert({node_arg(a, 0), node_arg(a, 1)});
}

void GoldenCluster::cmd_crash(const Args& a) {
  cluster().node(node_arg(a, 0)).down = true;
}

// The node starts over from its disk: hard state, snapshot and log.
void GoldenCluster::cmd_restart(const Args& a) {
  cluster().restart(node_arg(a, 0));
}

// ---- inspection -------------------------------------------------------------

void GoldenCluster::cmd_status(const Args& a) {
  std::vector<NodeId> ids;
  for (std::size_t i = 0; i < a.words.size(); ++i)
    ids.push_back(node_arg(a, i));
  if (ids.empty()) ids = cluster().ids;
  for (const NodeId& id : ids) {
    const Raft& raft = cluster().raft(id);
    out_ << id << (cluster().node(id).down ? " (down)" : "") << " "
         << raft_role_name(raft.role()) << " term=" << raft.term()
         << " leader=" << raft.leader().value_or("-")
         << " commit=" << raft.commit_index()
         << " applied=" << raft.applied_index() << " last=" << raft.last_index()
         << " state=" << quoted(bytes(state_of(id, raft.applied_index())))
         << "\n";
    for (const auto& [peer, p] : raft.progress()) {
      out_ << "  " << peer << " match=" << p.match_index
           << " next=" << p.next_index << " inflight=" << p.inflight
           << (p.recently_active ? " active" : "")
           << (p.sending_snapshot ? " snapshot" : "") << "\n";
    }
  }
}

}  // namespace slurp::consensus::test
