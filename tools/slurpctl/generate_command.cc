// generate: files and directory trees into the cluster's queue.
//
// One DEALER to the leader (found with a status call; a follower would
// forward, one hop slower), up to --in-flight requests pipelined on it.
// Files go first, each directory once all its entries were acknowledged
// (the queue refuses a dependency it has never heard of). Every request
// keeps its request_id across retries, so a retry after a timeout or a
// leader change never makes a second job (PROTOCOL.md, "Finding and
// following the leader").
#include <sodium.h>

#include <deque>
#include <fstream>
#include <map>
#include <random>

#include "protocol/limits.h"
#include "src/client/client.h"
#include "src/client/json_writer.h"
#include "src/client/tree_plan.h"
#include "tools/slurpctl/commands.h"
#include "tools/slurpctl/progress.h"

namespace slurpctl {
namespace {

using Clock = std::chrono::steady_clock;
using slurp::ErrorCode;
using slurp::Message;

// While waiting for job_done: when none has come for kWaitPollAfter, we
// ask for the jobs still open, kWaitPollJobsMax of them every
// kWaitPollEvery, taking turns through them (a leader change, or a node
// that dropped our connection, loses the waiters it held). Asking the
// first 128 open jobs after every quiet spell, as before, asked the same
// slow directories again and again: after an election on /usr/include
// the last 20,000 jobs were found done at about 150 a second.
constexpr auto kWaitPollAfter = std::chrono::seconds(2);
constexpr auto kWaitPollEvery = std::chrono::milliseconds(250);
constexpr std::size_t kWaitPollJobsMax = 256;
constexpr std::size_t kRefusalsShownMax = 20;

enum class Phase { pending, sent, acked, done, refused };

struct ItemState {
  Phase phase = Phase::pending;
  std::uint64_t job_id = 0;
  std::string outcome;  // of generate_reply
  std::string state;    // the job's end, when known
  std::string error;
  Clock::time_point sent_at;
  bool by_path = false;  // the cluster refused it inline: send the path
};

bool retryable(std::uint64_t code) {
  auto c = slurp::error_code_from_number(code);
  return c && (*c == ErrorCode::no_quorum || *c == ErrorCode::unavailable ||
               *c == ErrorCode::not_leader || *c == ErrorCode::timeout ||
               *c == ErrorCode::queue_full);
}

std::string hex_sha256(const std::string& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest,
                     reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

class Generator {
 public:
  Generator(const Flags& f, const GenerateFlags& g,
            const slurp::client::ToolConfig& tool, slurp::client::TreePlan plan,
            slurp::Priority priority)
      : f_(f),
        g_(g),
        tool_(tool),
        plan_(std::move(plan)),
        priority_(priority),
        states_(plan_.items.size()),
        parent_(plan_.items.size(), kNoParent),
        deferred_(plan_.items.size(), false) {
    for (std::size_t d = 0; d < plan_.items.size(); ++d) {
      for (std::size_t e : plan_.items[d].entry_indexes) parent_[e] = d;
    }
    std::random_device seed;
    char run[16];
    std::snprintf(run, sizeof run, "%08x", seed());
    run_id_ = run;
  }

  int run() {
    if (int code = connect(); code != exit_ok) return code;
    const auto total = static_cast<std::uint64_t>(plan_.items.size());
    Progress sending(progress_style(g_.progress), "acknowledged", total);
    while (acked_ + refused_ < total) {
      send_what_we_can();
      if (!receive_some()) return exit_unreachable;
      resend_overdue();
      sending.update(acked_ + refused_,
                     refused_ ? std::to_string(refused_) + " refused" : "");
    }
    sending.finish(acked_ + refused_,
                   refused_ ? std::to_string(refused_) + " refused" : "");
    if (g_.wait) {
      Progress waiting(progress_style(g_.progress), "done", acked_);
      last_reply_ = Clock::now();
      while (done_ < acked_) {
        if (!receive_some()) return exit_unreachable;
        poll_open_jobs();
        waiting.update(done_,
                       failed_ ? std::to_string(failed_) + " failed" : "");
      }
      waiting.finish(done_, failed_ ? std::to_string(failed_) + " failed" : "");
    }
    report();
    return refused_ > 0 || failed_ > 0 ? exit_refused : exit_ok;
  }

 private:
  // The leader if one is known (else whichever node answers).
  int connect() {
    zmq::context_t& ctx = context_;
    auto options = call_options(f_);
    auto answer = slurp::client::call_cluster(ctx, tool_,
                                              slurp::StatusRequest{}, options);
    if (!answer) return fail(answer.error(), exit_unreachable);
    const slurp::client::NodeTarget* target = nullptr;
    if (auto* s = std::get_if<slurp::StatusReply>(&answer->reply);
        s && s->leader) {
      target = tool_.find_node(*s->leader);
    }
    if (target == nullptr) target = tool_.find_node(answer->node);
    if (target == nullptr) target = &tool_.nodes.front();
    auto client = slurp::client::Client::connect(
        ctx,
        tool_.client_options(*target, std::chrono::milliseconds(f_.timeout_ms),
                             std::chrono::milliseconds(f_.connect_timeout_ms)));
    if (!client) return fail(client.error(), exit_unreachable);
    client_ = std::move(*client);
    // Replies to the old socket are gone with it: what was in flight goes
    // again, with the same request ids (the cluster deduplicates).
    for (const auto& [id, i] : in_flight_) {
      if (states_[i].phase != Phase::sent) continue;
      states_[i].phase = Phase::pending;
      retry_.emplace_back(Clock::now(), i);
    }
    in_flight_.clear();
    return exit_ok;
  }

  bool sendable(std::size_t i) const {
    if (states_[i].phase != Phase::pending) return false;
    for (std::size_t e : plan_.items[i].entry_indexes) {
      if (states_[e].phase == Phase::pending ||
          states_[e].phase == Phase::sent) {
        return false;
      }
    }
    return true;
  }

  slurp::Generate request_for(std::size_t i) {
    const auto& item = plan_.items[i];
    slurp::Generate g;
    g.request_id = "slurpctl-" + run_id_ + "-" + std::to_string(i);
    g.address = item.address;
    g.priority = priority_;
    g.wait = g_.wait;
    if (item.directory) {
      for (std::size_t e : item.entry_indexes) {
        if (states_[e].phase != Phase::refused) {
          g.depends_on.push_back(plan_.items[e].address);
        }
      }
    } else if (g_.by_path || states_[i].by_path) {
      g.file_path = std::filesystem::absolute(item.path).string();
    } else {
      std::ifstream in(item.path, std::ios::binary);
      std::string bytes(slurp::limits::content_bytes_max + 1, '\0');
      in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      bytes.resize(static_cast<std::size_t>(in.gcount()));
      if (bytes.size() > slurp::limits::content_bytes_max) {
        // Too big to send: workers on this machine read it by path.
        g.file_path = std::filesystem::absolute(item.path).string();
      } else {
        g.content_hash = hex_sha256(bytes);
        g.content = slurp::Bytes(bytes.begin(), bytes.end());
      }
    }
    for (const std::string& d : g_.depends_on) g.depends_on.push_back(d);
    return g;
  }

  void send(std::size_t i) {
    auto id = client_->send(request_for(i));
    if (!id) {
      // Not connected in time: keep it pending; receive_some reconnects.
      return;
    }
    in_flight_[*id] = i;
    states_[i].phase = Phase::sent;
    states_[i].sent_at = Clock::now();
  }

  void send_what_we_can() {
    while (in_flight_.size() < static_cast<std::size_t>(g_.in_flight_max)) {
      while (!retry_.empty() && retry_.front().first <= Clock::now() &&
             in_flight_.size() < static_cast<std::size_t>(g_.in_flight_max)) {
        const std::size_t i = retry_.front().second;
        retry_.pop_front();
        if (states_[i].phase == Phase::pending) send(i);
      }
      if (!unblocked_.empty()) {
        const std::size_t i = unblocked_.front();
        if (states_[i].phase != Phase::pending) {
          unblocked_.pop_front();
          continue;
        }
        send(i);
        if (states_[i].phase == Phase::pending) return;  // not sent
        unblocked_.pop_front();
        continue;
      }
      while (cursor_ < plan_.items.size() &&
             states_[cursor_].phase != Phase::pending) {
        ++cursor_;
      }
      if (cursor_ == plan_.items.size()) return;
      if (!sendable(cursor_)) {
        // A directory whose entries are not all answered yet: it goes
        // when the last one is (release_parent), and the items after it
        // go now. Stopping here emptied the pipeline before each of
        // /usr/include's 2,129 directories: 1,600 acknowledged a second
        // with 256 in flight, against 12,000+ for slurp-bench's enqueues.
        deferred_[cursor_] = true;
        ++cursor_;
        continue;
      }
      send(cursor_);
      if (states_[cursor_].phase == Phase::pending) return;  // not sent
    }
  }

  // Item i was answered (acknowledged or refused): its directory may now
  // have every entry answered.
  void release_parent(std::size_t i) {
    const std::size_t p = parent_[i];
    if (p == kNoParent || !deferred_[p] || !sendable(p)) return;
    deferred_[p] = false;
    unblocked_.push_back(p);
  }

  // Takes replies for a short while; false when the cluster is gone for
  // good (no node answers at all).
  bool receive_some() {
    auto reply = client_->receive(std::chrono::milliseconds(50));
    if (!reply) {
      // A refused handshake or a broken reply: start over on a new socket.
      return connect() == exit_ok;
    }
    if (!*reply) {
      if (!in_flight_.empty() && Clock::now() - last_reply_ >
                                     std::chrono::milliseconds(f_.timeout_ms)) {
        std::cerr << "\nslurpctl: no answer for " << f_.timeout_ms
                  << " ms; looking for the leader again\n";
        last_reply_ = Clock::now();
        return connect() == exit_ok;
      }
      return true;
    }
    last_reply_ = Clock::now();
    handle(std::move(**reply));
    // Drain what else is there without waiting.
    for (int n = 0; n < 256; ++n) {
      auto more = client_->receive(std::chrono::milliseconds(0));
      if (!more || !*more) break;
      handle(std::move(**more));
    }
    return true;
  }

  void handle(Message message) {
    const std::uint64_t id = std::visit(
        [](const auto& m) -> std::uint64_t {
          if constexpr (requires { m.id; }) {
            return m.id;
          } else {
            return 0;
          }
        },
        message);
    if (auto* done = std::get_if<slurp::JobDone>(&message)) {
      last_job_done_ = Clock::now();
      // job_done carries the generate's id; the request is long answered.
      auto it = waiting_by_request_.find(id);
      if (it != waiting_by_request_.end()) {
        finish(it->second, done->state, done->error.value_or(""));
      }
      return;
    }
    auto it = in_flight_.find(id);
    if (it == in_flight_.end()) return;  // a late answer to a resent request
    const std::size_t i = it->second;
    in_flight_.erase(it);
    ItemState& s = states_[i];
    if (auto* reply = std::get_if<slurp::GenerateReply>(&message)) {
      if (s.phase != Phase::sent && s.phase != Phase::pending) return;
      s.phase = Phase::acked;
      release_parent(i);
      s.job_id = reply->job_id;
      s.outcome = reply->outcome;
      ++acked_;
      ++outcomes_[reply->outcome];
      if (reply->outcome == "cached") {
        finish(i, "completed", "");
      } else if (g_.wait) {
        waiting_by_request_[id] = i;
      }
    } else if (auto* job = std::get_if<slurp::JobReply>(&message)) {
      if (job->state != "waiting" && job->state != "queued" &&
          job->state != "active") {
        finish(i, job->state, job->error.value_or(""));
      }
    } else if (auto* error = std::get_if<slurp::ErrorReply>(&message)) {
      if (s.phase == Phase::acked) return;  // a job poll that failed
      const auto code = slurp::error_code_from_number(error->code);
      if (code == ErrorCode::too_large && !plan_.items[i].directory &&
          !s.by_path) {
        // The cluster's log takes less than this file inline (its
        // append_bytes_max): the workers here read it by path instead.
        s.by_path = true;
        s.phase = Phase::pending;
        retry_.emplace_back(Clock::now(), i);
        return;
      }
      if (retryable(error->code)) {
        s.phase = Phase::pending;
        retry_.emplace_back(Clock::now() + std::chrono::milliseconds(200), i);
        if (error->name == "not_leader" || error->name == "no_quorum") {
          (void)connect();
        }
        return;
      }
      s.phase = Phase::refused;
      release_parent(i);
      s.error = error->name + ": " + error->message;
      ++refused_;
      if (refused_ <= kRefusalsShownMax) {
        std::cerr << "\nslurpctl: " << plan_.items[i].address
                  << " refused: " << s.error << "\n";
        if (std::string hint = advice_for(error->code); !hint.empty()) {
          std::cerr << "  what to do: " << hint << "\n";
        }
      }
    }
  }

  void finish(std::size_t i, const std::string& state,
              const std::string& error) {
    ItemState& s = states_[i];
    if (s.phase == Phase::done) return;
    s.phase = Phase::done;
    s.state = state;
    s.error = error;
    ++done_;
    if (state != "completed") ++failed_;
  }

  void resend_overdue() {
    const auto limit = std::chrono::milliseconds(f_.timeout_ms);
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      ItemState& s = states_[it->second];
      if (s.phase == Phase::sent && Clock::now() - s.sent_at > limit) {
        s.phase = Phase::pending;
        retry_.emplace_back(Clock::now(), it->second);
        it = in_flight_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // After a spell without job_done, asks where the open jobs stand.
  void poll_open_jobs() {
    const auto now = Clock::now();
    // Jobs our polls find done do not count: only job_done says the node
    // still holds our waiters.
    if (now - last_job_done_ < kWaitPollAfter ||
        now - last_poll_ < poll_every_) {
      return;
    }
    // Rounds that find nothing done slow down (a slow engine's long jobs
    // are not worth 1,000 queries a second); one that finds some speeds up.
    poll_every_ =
        done_ > done_at_last_poll_
            ? Clock::duration(kWaitPollEvery)
            : std::min<Clock::duration>(2 * poll_every_, kWaitPollAfter);
    done_at_last_poll_ = done_;
    last_poll_ = now;
    std::size_t asked = 0;
    for (std::size_t seen = 0;
         seen < states_.size() && asked < kWaitPollJobsMax; ++seen) {
      const std::size_t i = poll_cursor_;
      poll_cursor_ = (poll_cursor_ + 1) % states_.size();
      if (states_[i].phase != Phase::acked) continue;
      slurp::JobQuery query;
      query.job_id = states_[i].job_id;
      if (auto id = client_->send(query)) {
        in_flight_[*id] = i;
        ++asked;
      }
    }
  }

  void report() {
    std::size_t files = 0, directories = 0;
    for (const auto& item : plan_.items) {
      item.directory ? ++directories : ++files;
    }
    if (f_.json) {
      for (std::size_t i = 0; i < plan_.items.size(); ++i) {
        const auto& s = states_[i];
        slurp::client::JsonWriter w;
        w.begin_object().key("address").value(plan_.items[i].address);
        w.key("path").value(plan_.items[i].path.string());
        w.key("kind").value(plan_.items[i].directory ? "directory" : "file");
        w.key("job_id").value(s.job_id).key("outcome").value(s.outcome);
        w.key("state").value(s.state).key("error").value(s.error);
        std::cout << w.end_object().str() << "\n";
      }
      return;
    }
    std::cout << "generate: " << files << " files and " << directories
              << " directories under ucxl://" << plan_.project << "/ (from "
              << plan_.root.string() << ")\n  acknowledged " << acked_;
    for (const auto& [outcome, n] : outcomes_) {
      std::cout << ", " << outcome << " " << n;
    }
    if (refused_) std::cout << "; refused " << refused_;
    std::cout << "\n";
    if (g_.wait) {
      std::cout << "  completed " << done_ - failed_ << ", did not complete "
                << failed_ << "\n";
      std::size_t shown = 0;
      for (std::size_t i = 0; i < states_.size() && shown < 10; ++i) {
        if (states_[i].phase == Phase::done &&
            states_[i].state != "completed") {
          std::cout << "    " << plan_.items[i].address << ": "
                    << states_[i].state << " " << states_[i].error << "\n";
          ++shown;
        }
      }
    }
    for (std::size_t k = 0; k < plan_.skipped.size() && k < 5; ++k) {
      std::cout << "  skipped " << plan_.skipped[k] << "\n";
    }
    if (plan_.skipped.size() > 5) {
      std::cout << "  skipped " << plan_.skipped.size() - 5
                << " more (symbolic links and special files are not "
                   "followed)\n";
    }
    std::cout << "see them: slurpctl get ucxl://" << plan_.project
              << "/PATH, or slurpctl export --format markdown ucxl://"
              << plan_.project << "/\n";
  }

  const Flags& f_;
  const GenerateFlags& g_;
  const slurp::client::ToolConfig& tool_;
  slurp::client::TreePlan plan_;
  slurp::Priority priority_;
  std::vector<ItemState> states_;
  std::string run_id_;
  zmq::context_t context_;
  std::unique_ptr<slurp::client::Client> client_;
  std::map<std::uint64_t, std::size_t> in_flight_;  // request id -> item
  std::map<std::uint64_t, std::size_t> waiting_by_request_;
  std::deque<std::pair<Clock::time_point, std::size_t>> retry_;
  std::size_t cursor_ = 0;
  // Each item's directory in the plan (kNoParent for the top), directories
  // skipped by the cursor until their entries are answered, and those
  // whose entries now are, to send before the cursor moves on.
  static constexpr std::size_t kNoParent = static_cast<std::size_t>(-1);
  std::vector<std::size_t> parent_;
  std::vector<bool> deferred_;
  std::deque<std::size_t> unblocked_;
  std::uint64_t acked_ = 0, refused_ = 0, done_ = 0, failed_ = 0;
  std::map<std::string, std::uint64_t> outcomes_;
  Clock::time_point last_reply_ = Clock::now(), last_poll_;
  Clock::time_point last_job_done_ = Clock::now();
  std::size_t poll_cursor_ = 0;
  Clock::duration poll_every_ = kWaitPollEvery;
  std::uint64_t done_at_last_poll_ = 0;
};

}  // namespace

int run_generate(const Flags& f, const GenerateFlags& g) {
  slurp::Priority priority;
  if (!slurp::enum_from_wire(g.priority, priority)) {
    return fail(slurp::make_error(ErrorCode::bad_request,
                                  "unknown priority '" + g.priority +
                                      "' (low, normal, high, urgent, "
                                      "emergency)",
                                  "--priority"),
                exit_usage);
  }
  if (sodium_init() < 0) {
    return fail(slurp::make_error(ErrorCode::internal, "libsodium failed"),
                exit_usage);
  }
  slurp::client::TreeOptions options;
  options.recursive = g.recursive;
  options.include_hidden = g.include_hidden;
  options.project = g.project;
  options.root = g.root;
  std::vector<std::filesystem::path> paths(g.paths.begin(), g.paths.end());
  auto plan = slurp::client::plan_tree(paths, options);
  if (!plan) return fail(plan.error(), exit_usage);
  if (plan->items.empty()) {
    std::cerr << "slurpctl: nothing to generate\n";
    return exit_usage;
  }
  auto tool = load_target(f);
  if (!tool) return fail(tool.error(), exit_usage);
  return Generator(f, g, *tool, std::move(*plan), priority).run();
}

}  // namespace slurpctl
