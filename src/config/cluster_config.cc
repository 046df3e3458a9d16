// Parsing and validation of cluster.toml; docs/CONFIG.md is the reference.
#include "src/config/cluster_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <map>
#include <span>
#include <utility>

#include "protocol/limits.h"
#include "src/config/file_roots.h"
#include "src/config/listen_address.h"

namespace slurp::config {
namespace fs = std::filesystem;
namespace {

using Keys = std::span<const std::string_view>;

// An election timeout this long is almost surely seconds typed as
// milliseconds; the cluster would sit leaderless for minutes.
constexpr std::uint64_t election_timeout_ms_max = 60000;

Error bad(std::string field, std::string reason) {
  return make_error(ErrorCode::bad_request, std::move(reason),
                    std::move(field));
}

std::string in_quotes(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// --- value checks: each returns what is wrong, or nothing -----------------

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Ids name directories (<data_dir>/<id>) and appear on command lines, so
// "..", ".hidden" and "-flag" are out: the first character is alphanumeric.
std::optional<std::string> id_problem(std::string_view id) {
  if (id.empty() || id.size() > config_id_bytes_max ||
      !std::all_of(id.begin(), id.end(), is_id_char) || !is_id_char(id[0]) ||
      id[0] == '.' || id[0] == '_' || id[0] == '-') {
    return "must be 1.." + std::to_string(config_id_bytes_max) +
           " characters of A-Z a-z 0-9 . _ -, starting with a letter or "
           "digit (got " +
           in_quotes(id) + ")";
  }
  return std::nullopt;
}

// Host names, IPv4 and IPv6 addresses (with an optional %scope), and "*"
// (every interface) where the host is only bound.
std::optional<std::string> host_problem(std::string_view host, bool bind) {
  if (bind && host == "*") return std::nullopt;
  if (host.find("://") != std::string_view::npos) {
    return "must be a host name or address, not an endpoint (got " +
           in_quotes(host) + ")";
  }
  const bool chars_ok = std::all_of(host.begin(), host.end(), [](char c) {
    return is_id_char(c) || c == ':' || c == '%';
  });
  if (host.empty() || host.size() > config_host_bytes_max || !chars_ok) {
    return "must be a host name or IP address of 1.." +
           std::to_string(config_host_bytes_max) + " characters (got " +
           in_quotes(host) + ")";
  }
  return std::nullopt;
}

// Canonical Z85 for a 32-byte key: 40 characters from the Z85 alphabet,
// each group of 5 encoding a value below 2^32 (so decoding and re-encoding
// gives the same text, the rule bus/curve_keys.h applies).
std::optional<std::string> z85_problem(std::string_view key) {
  static constexpr std::string_view alphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/"
      "*?&<>()[]{}@%$#";
  if (key.size() != 40) {
    return "must be 40 Z85 characters (got " + std::to_string(key.size()) + ")";
  }
  for (std::size_t group = 0; group < key.size(); group += 5) {
    std::uint64_t value = 0;
    for (std::size_t i = group; i < group + 5; ++i) {
      const std::size_t digit = alphabet.find(key[i]);
      if (digit == std::string_view::npos) {
        return "is not Z85: character " + std::to_string(i + 1) + " is " +
               in_quotes(key.substr(i, 1));
      }
      value = value * 85 + digit;
    }
    if (value > 0xFFFFFFFFu) return std::string("is not canonical Z85");
  }
  return std::nullopt;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The known key a typo most likely meant: a prefix ("heartbeat" for
// "heartbeat_ticks") or at most two edits away. Short keys get no guess:
// "x" is two edits from "id" without being a typo of it.
std::optional<std::string_view> closest_key(std::string_view key, Keys known) {
  if (key.size() < 3 || key.size() > config_id_bytes_max) return std::nullopt;
  const std::size_t edits_max = std::min<std::size_t>(2, key.size() / 2);
  for (std::string_view k : known) {
    if (k.starts_with(key) || key.starts_with(k) ||
        edit_distance(key, k) <= edits_max) {
      return k;
    }
  }
  return std::nullopt;
}

// --- reading the document -------------------------------------------------

// What every reader of one document shares: its name, the directory that
// relative paths mean, and where each value sits (for checks that compare
// several values after reading).
struct Context {
  std::string source_name;
  fs::path base_dir;
  std::map<std::string, std::string, std::less<>> where;

  // "cluster.toml:12:5: ", or "cluster.toml: " without a position.
  std::string at(const toml::source_region& region) const {
    if (!region.begin) return source_name + ": ";
    return source_name + ":" + std::to_string(region.begin.line) + ":" +
           std::to_string(region.begin.column) + ": ";
  }
  // Where `field` sits; for an absent key, where its table does.
  std::string at_field(std::string_view field) const {
    for (;;) {
      if (auto it = where.find(field); it != where.end()) return it->second;
      const std::size_t dot = field.rfind('.');
      if (dot == std::string_view::npos) return source_name + ": ";
      field = field.substr(0, dot);
    }
  }
  fs::path resolve(std::string_view text) const {
    fs::path p(text);
    if (p.is_relative() && !base_dir.empty()) p = base_dir / p;
    return p.lexically_normal();
  }
};

// One TOML table at key path `path` ("" for the root, "nodes[1]"): typed
// getters that name the key on error and record where each value sits.
// Absent optional keys leave `out` unchanged, so callers preset defaults.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, Context& ctx)
      : table_(table), path_(std::move(path)), ctx_(ctx) {}

  std::string field(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  Context& context() const { return ctx_; }
  std::string at() const { return ctx_.at(table_.source()); }

  Status check_keys(Keys known) const {
    for (auto&& [key, value] : table_) {
      const std::string_view k = key.str();
      if (std::find(known.begin(), known.end(), k) != known.end()) continue;
      std::string reason =
          ctx_.at(key.source()) + "unknown key " + in_quotes(field(k));
      if (auto guess = closest_key(k, known)) {
        reason += " (did you mean " + in_quotes(field(*guess)) + "?)";
      }
      return bad(field(k), std::move(reason));
    }
    return ok_status();
  }

  Status check_keys(std::initializer_list<std::string_view> known) const {
    return check_keys(Keys(known.begin(), known.size()));
  }

  bool has(std::string_view key) const { return table_.contains(key); }

  Status string(std::string_view key, std::string& out,
                bool required = false) const {
    auto node = find(key, toml::node_type::string, required);
    if (!node) return node.error();
    if (*node) out = *(*node)->value<std::string>();
    return ok_status();
  }

  Status integer(std::string_view key, std::uint64_t lo, std::uint64_t hi,
                 std::uint64_t& out, bool required = false) const {
    auto node = find(key, toml::node_type::integer, required);
    if (!node) return node.error();
    if (!*node) return ok_status();
    const std::int64_t v = *(*node)->value<std::int64_t>();
    if (v < 0 || static_cast<std::uint64_t>(v) < lo ||
        static_cast<std::uint64_t>(v) > hi) {
      return bad(field(key), ctx_.at((*node)->source()) + "must be " +
                                 std::to_string(lo) + ".." +
                                 std::to_string(hi) + " (got " +
                                 std::to_string(v) + ")");
    }
    out = static_cast<std::uint64_t>(v);
    return ok_status();
  }

  Status boolean(std::string_view key, bool& out) const {
    auto node = find(key, toml::node_type::boolean, false);
    if (!node) return node.error();
    if (*node) out = *(*node)->value<bool>();
    return ok_status();
  }

  // A file or directory name, resolved against the config's directory.
  Status path(std::string_view key, fs::path& out) const {
    std::string text;
    if (Status s = string(key, text); !s) return s;
    if (!has(key)) return ok_status();
    if (text.empty() || text.find('\0') != std::string::npos) {
      return bad(field(key), ctx_.at_field(field(key)) +
                                 "must be a non-empty path without NUL");
    }
    out = ctx_.resolve(text);
    return ok_status();
  }

  // An array of strings; absent leaves `out` unchanged.
  Status strings(std::string_view key, std::vector<std::string>& out) const {
    auto node = find(key, toml::node_type::array, false);
    if (!node) return node.error();
    if (!*node) return ok_status();
    std::vector<std::string> read;
    for (const toml::node& item : *(*node)->as_array()) {
      if (!item.is_string()) {
        return bad(field(key), ctx_.at(item.source()) +
                                   "must be an array of strings, not of " +
                                   std::string(type_name(item.type())));
      }
      read.push_back(*item.value<std::string>());
    }
    out = std::move(read);
    return ok_status();
  }

  // The sub-table `key`, or nullopt when absent.
  Result<std::optional<TableReader>> table(std::string_view key) const {
    auto node = find(key, toml::node_type::table, false);
    if (!node) return node.error();
    if (!*node) return std::optional<TableReader>();
    return std::optional<TableReader>(
        TableReader(*(*node)->as_table(), field(key), ctx_));
  }

  // The array of tables `key` ([[key]]), or nullptr when absent.
  Result<const toml::array*> table_array(std::string_view key) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return static_cast<const toml::array*>(nullptr);
    const toml::array* array = node->as_array();
    if (array == nullptr || (!array->empty() && !array->is_array_of_tables())) {
      return bad(field(key), ctx_.at(node->source()) +
                                 "must be an array of tables ([[" +
                                 std::string(key) + "]])");
    }
    return array;
  }

 private:
  // The value of `key` if it has type `want`; nullptr if absent and not
  // required. Records its position.
  Result<const toml::node*> find(std::string_view key, toml::node_type want,
                                 bool required) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) {
      if (!required) return static_cast<const toml::node*>(nullptr);
      return bad(field(key),
                 at() + "missing " + in_quotes(field(key)) + " (required)");
    }
    ctx_.where[field(key)] = ctx_.at(node->source());
    if (node->type() != want) {
      return bad(field(key), ctx_.at(node->source()) + "must be " +
                                 std::string(type_name(want)) + ", not " +
                                 std::string(type_name(node->type())));
    }
    return node;
  }

  const toml::table& table_;
  std::string path_;
  Context& ctx_;
};

Status check_value(const Context& ctx, const std::string& field,
                   const std::optional<std::string>& problem) {
  if (!problem) return ok_status();
  return bad(field, ctx.at_field(field) + *problem);
}

// --- the sections ---------------------------------------------------------

Status read_cluster(const TableReader& root, ClusterConfig& c) {
  Context& ctx = root.context();
  c.data_dir = ctx.resolve("data");
  c.authorized_keys = ctx.resolve("authorized_keys");
  auto found = root.table("cluster");
  if (!found) return found.error();
  if (!*found) return ok_status();
  const TableReader& t = **found;
  if (Status s = t.check_keys(
          {"name", "data_dir", "authorized_keys", "insecure", "client_key"});
      !s) {
    return s;
  }
  if (Status s = t.string("name", c.name); !s) return s;
  if (Status s = check_value(ctx, "cluster.name", id_problem(c.name)); !s) {
    return s;
  }
  if (Status s = t.path("data_dir", c.data_dir); !s) return s;
  if (Status s = t.path("authorized_keys", c.authorized_keys); !s) return s;
  if (Status s = t.path("client_key", c.client_key); !s) return s;
  return t.boolean("insecure", c.insecure);
}

// The rules raft's Config::validate applies, checked here first so the
// message can point into the file.
Status check_timing(const Context& ctx, const TimingConfig& t) {
  auto show = [](std::string_view key, std::uint64_t value) {
    return std::string(key) + " (" + std::to_string(value) + ")";
  };
  const std::string min_field = "timing.election_ticks_min";
  const std::string max_field = "timing.election_ticks_max";
  if (t.election_ticks_min <= t.heartbeat_ticks) {
    return bad(min_field,
               ctx.at_field(min_field) +
                   show("election_ticks_min", t.election_ticks_min) +
                   " must be greater than " +
                   show("heartbeat_ticks", t.heartbeat_ticks) +
                   ": followers would call elections between heartbeats");
  }
  if (t.election_ticks_max <= t.election_ticks_min) {
    return bad(max_field, ctx.at_field(max_field) +
                              show("election_ticks_max", t.election_ticks_max) +
                              " must be greater than " +
                              show("election_ticks_min", t.election_ticks_min) +
                              ": timeouts are drawn from [min, max)");
  }
  const std::uint64_t timeout_ms = t.election_ticks_max * t.tick_ms;
  if (timeout_ms > election_timeout_ms_max) {
    return bad(max_field, ctx.at_field(max_field) +
                              "election_ticks_max * tick_ms = " +
                              std::to_string(timeout_ms) + " ms exceeds " +
                              std::to_string(election_timeout_ms_max) + " ms");
  }
  return ok_status();
}

Status read_timing(const TableReader& root, TimingConfig& timing) {
  constexpr std::uint64_t ticks_max = 10000;
  auto found = root.table("timing");
  if (!found) return found.error();
  if (*found) {
    const TableReader& t = **found;
    if (Status s = t.check_keys({"tick_ms", "election_ticks_min",
                                 "election_ticks_max", "heartbeat_ticks"});
        !s) {
      return s;
    }
    if (Status s = t.integer("tick_ms", 1, 1000, timing.tick_ms); !s) return s;
    if (Status s = t.integer("election_ticks_min", 1, ticks_max,
                             timing.election_ticks_min);
        !s) {
      return s;
    }
    if (Status s = t.integer("election_ticks_max", 1, ticks_max,
                             timing.election_ticks_max);
        !s) {
      return s;
    }
    if (Status s =
            t.integer("heartbeat_ticks", 1, ticks_max, timing.heartbeat_ticks);
        !s) {
      return s;
    }
  }
  return check_timing(root.context(), timing);
}

struct LimitSpec {
  std::string_view key;
  std::uint64_t LimitsConfig::*member;
  std::uint64_t max;  // the wire limit where one applies
};

constexpr LimitSpec limit_specs[] = {
    {"queue_depth_max", &LimitsConfig::queue_depth_max, 10'000'000},
    {"worker_inflight_jobs_max", &LimitsConfig::worker_inflight_jobs_max, 4096},
    {"job_attempts_max", &LimitsConfig::job_attempts_max, 100},
    {"job_lease_ms", &LimitsConfig::job_lease_ms, 3'600'000},
    {"job_retry_backoff_ms", &LimitsConfig::job_retry_backoff_ms, 600'000},
    {"aging_interval_ms", &LimitsConfig::aging_interval_ms, 3'600'000},
    {"uncommitted_entries_max", &LimitsConfig::uncommitted_entries_max,
     1'000'000},
    {"append_entries_max", &LimitsConfig::append_entries_max,
     limits::append_entries_max},
    {"append_bytes_max", &LimitsConfig::append_bytes_max,
     limits::append_bytes_wire_max},
    {"snapshot_bytes_max", &LimitsConfig::snapshot_bytes_max,
     std::uint64_t{16} * 1024 * 1024 * 1024},
    {"snapshot_interval_entries", &LimitsConfig::snapshot_interval_entries,
     100'000'000},
    {"audit_anchor_interval_ms", &LimitsConfig::audit_anchor_interval_ms,
     3'600'000},
};

Status read_limits(const TableReader& root, LimitsConfig& out) {
  auto found = root.table("limits");
  if (!found) return found.error();
  if (!*found) return ok_status();
  const TableReader& t = **found;
  std::vector<std::string_view> keys;
  for (const LimitSpec& spec : limit_specs) keys.push_back(spec.key);
  if (Status s = t.check_keys(keys); !s) return s;
  for (const LimitSpec& spec : limit_specs) {
    if (Status s = t.integer(spec.key, 1, spec.max, out.*spec.member); !s) {
      return s;
    }
  }
  return ok_status();
}

// [files] roots: where workers may read file_path (src/config/file_roots.h).
Status read_files(const TableReader& root, FilesConfig& files) {
  auto found = root.table("files");
  if (!found) return found.error();
  if (!*found) return ok_status();
  const TableReader& t = **found;
  if (Status s = t.check_keys({"roots"}); !s) return s;
  if (Status s = t.strings("roots", files.roots); !s) return s;
  return check_value(t.context(), "files.roots",
                     file_roots_problem(files.roots));
}

// Shared by nodes and workers. Whether a key is needed at all depends on
// cluster.insecure, checked once everything is read (check_keys_present).
Status read_public_key(const TableReader& t, fs::path& path, std::string& z85) {
  const std::string z85_field = t.field("public_key_z85");
  if (Status s = t.path("public_key", path); !s) return s;
  if (Status s = t.string("public_key_z85", z85); !s) return s;
  if (!t.has("public_key_z85")) return ok_status();
  if (t.has("public_key")) {
    return bad(z85_field, t.context().at_field(z85_field) +
                              "set public_key or public_key_z85, not both");
  }
  return check_value(t.context(), z85_field, z85_problem(z85));
}

Status read_metrics_listen(const TableReader& t, std::string& out) {
  if (Status s = t.string("metrics_listen", out); !s) return s;
  if (!t.has("metrics_listen")) return ok_status();
  return check_value(t.context(), t.field("metrics_listen"),
                     listen_address_problem(out));
}

struct PortSpec {
  std::string_view key;
  std::uint16_t NodeConfig::*member;
};

constexpr PortSpec port_specs[] = {
    {"api_port", &NodeConfig::api_port},
    {"events_port", &NodeConfig::events_port},
    {"jobs_port", &NodeConfig::jobs_port},
    {"results_port", &NodeConfig::results_port},
};

Status read_node(const TableReader& t, const ClusterConfig& c, NodeConfig& n) {
  const Context& ctx = t.context();
  if (Status s = t.check_keys({"id", "host", "bind_host", "api_port",
                               "events_port", "jobs_port", "results_port",
                               "public_key", "public_key_z85", "secret_key",
                               "data_dir", "metrics_listen"});
      !s) {
    return s;
  }
  if (Status s = t.string("id", n.id, true); !s) return s;
  if (Status s = check_value(ctx, t.field("id"), id_problem(n.id)); !s) {
    return s;
  }
  if (Status s = t.string("host", n.host, true); !s) return s;
  if (Status s = check_value(ctx, t.field("host"), host_problem(n.host, false));
      !s) {
    return s;
  }
  if (Status s = t.string("bind_host", n.bind_host); !s) return s;
  if (t.has("bind_host")) {
    if (Status s = check_value(ctx, t.field("bind_host"),
                               host_problem(n.bind_host, true));
        !s) {
      return s;
    }
  }
  for (const PortSpec& spec : port_specs) {
    std::uint64_t port = 0;
    if (Status s = t.integer(spec.key, 1, 65535, port, true); !s) return s;
    n.*spec.member = static_cast<std::uint16_t>(port);
  }
  if (Status s = read_public_key(t, n.public_key_path, n.public_key_z85); !s) {
    return s;
  }
  if (Status s = t.path("secret_key", n.secret_key_path); !s) return s;
  if (Status s = read_metrics_listen(t, n.metrics_listen); !s) return s;
  n.data_dir = c.data_dir / n.id;
  return t.path("data_dir", n.data_dir);
}

Status read_worker(const TableReader& t, const ClusterConfig&,
                   WorkerConfig& w) {
  if (Status s = t.check_keys(
          {"id", "public_key", "public_key_z85", "metrics_listen"});
      !s) {
    return s;
  }
  if (Status s = read_metrics_listen(t, w.metrics_listen); !s) return s;
  if (Status s = t.string("id", w.id, true); !s) return s;
  if (Status s = check_value(t.context(), t.field("id"), id_problem(w.id));
      !s) {
    return s;
  }
  return read_public_key(t, w.public_key_path, w.public_key_z85);
}

// Every [[key]] entry, through `read`; at most `count_max` of them.
template <class Member>
Status read_list(const TableReader& root, std::string_view key,
                 std::size_t count_max, const ClusterConfig& c,
                 std::vector<Member>& out,
                 Status (*read)(const TableReader&, const ClusterConfig&,
                                Member&)) {
  Context& ctx = root.context();
  auto array = root.table_array(key);
  if (!array) return array.error();
  if (*array == nullptr) return ok_status();
  const toml::array& entries = **array;
  if (entries.size() > count_max) {
    return bad(std::string(key), ctx.at(entries.source()) + "at most " +
                                     std::to_string(count_max) +
                                     " entries (got " +
                                     std::to_string(entries.size()) + ")");
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const toml::table& table = *entries[i].as_table();
    std::string path = std::string(key) + "[" + std::to_string(i) + "]";
    ctx.where[path] = ctx.at(table.source());
    Member member;
    if (Status s = read(TableReader(table, path, ctx), c, member); !s) {
      return s;
    }
    out.push_back(std::move(member));
  }
  return ok_status();
}

// --- checks across entries (after parsing, and again after the
// environment changed hosts or keys) ---------------------------------------

// The "file:line:col: " prefix for a field, or what else explains it.
using Locate = std::function<std::string(std::string_view field)>;

std::string entry_field(std::string_view list, std::size_t i,
                        std::string_view key) {
  return std::string(list) + "[" + std::to_string(i) + "]." + std::string(key);
}

Status check_ids(const ClusterConfig& c, const Locate& at) {
  std::map<std::string_view, std::string> seen;  // id -> its field
  auto add = [&](std::string_view id, std::string field) -> Status {
    auto [it, fresh] = seen.emplace(id, field);
    if (fresh) return ok_status();
    const bool first_node = it->second.starts_with("nodes[");
    const bool second_node = field.starts_with("nodes[");
    const char* what = first_node && second_node ? "duplicate node id "
                       : !first_node && !second_node
                           ? "duplicate worker id "
                           : "a node and a worker share the id ";
    return bad(field, at(field) + what + in_quotes(id) + " (" + it->second +
                          ", " + field + ")");
  };
  for (std::size_t i = 0; i < c.nodes.size(); ++i) {
    if (Status s = add(c.nodes[i].id, entry_field("nodes", i, "id")); !s) {
      return s;
    }
  }
  for (std::size_t i = 0; i < c.workers.size(); ++i) {
    if (Status s = add(c.workers[i].id, entry_field("workers", i, "id")); !s) {
      return s;
    }
  }
  return ok_status();
}

// Two sockets cannot bind one port on one host. Hosts compare as written:
// "localhost" and "127.0.0.1" are not known to be the same machine.
Status check_ports(const ClusterConfig& c, const Locate& at) {
  std::map<std::pair<std::string_view, std::uint16_t>, std::string> used;
  for (std::size_t i = 0; i < c.nodes.size(); ++i) {
    const NodeConfig& n = c.nodes[i];
    for (const PortSpec& spec : port_specs) {
      const std::uint16_t port = n.*spec.member;
      std::string field = entry_field("nodes", i, spec.key);
      auto [it, fresh] = used.emplace(
          std::pair<std::string_view, std::uint16_t>(n.host, port), field);
      if (fresh) continue;
      return bad(field, at(field) + "port " + std::to_string(port) +
                            " used twice (" + it->second + ", " + field +
                            ") on host " + n.host);
    }
  }
  return ok_status();
}

// Fail-closed: without --insecure every member must be named by its key.
Status check_keys_present(const ClusterConfig& c, const Locate& at) {
  if (c.insecure) return ok_status();
  auto missing = [&](std::string_view list, std::size_t i) {
    std::string field = entry_field(list, i, "public_key");
    return bad(field, at(field) +
                          "missing: public_key (a file) or public_key_z85 is "
                          "required unless cluster.insecure = true");
  };
  for (std::size_t i = 0; i < c.nodes.size(); ++i) {
    const NodeConfig& n = c.nodes[i];
    if (n.public_key_path.empty() && n.public_key_z85.empty()) {
      return missing("nodes", i);
    }
  }
  for (std::size_t i = 0; i < c.workers.size(); ++i) {
    const WorkerConfig& w = c.workers[i];
    if (w.public_key_path.empty() && w.public_key_z85.empty()) {
      return missing("workers", i);
    }
  }
  return ok_status();
}

Status check_cluster(const ClusterConfig& c, const Locate& at) {
  if (Status s = check_ids(c, at); !s) return s;
  if (Status s = check_ports(c, at); !s) return s;
  return check_keys_present(c, at);
}

Result<ClusterConfig> read_document(const toml::table& document, Context& ctx) {
  const TableReader root(document, "", ctx);
  ClusterConfig c;
  c.source_name = ctx.source_name;
  if (Status s = root.check_keys(
          {"cluster", "timing", "limits", "files", "nodes", "workers"});
      !s) {
    return s.error();
  }
  if (Status s = read_cluster(root, c); !s) return s.error();
  if (Status s = read_timing(root, c.timing); !s) return s.error();
  if (Status s = read_limits(root, c.limits); !s) return s.error();
  if (Status s = read_files(root, c.files); !s) return s.error();
  if (Status s =
          read_list(root, "nodes", cluster_nodes_max, c, c.nodes, &read_node);
      !s) {
    return s.error();
  }
  if (Status s = read_list(root, "workers", cluster_workers_max, c, c.workers,
                           &read_worker);
      !s) {
    return s.error();
  }
  if (c.nodes.empty()) {
    return bad("nodes", ctx.at_field("nodes") +
                            "at least one [[nodes]] entry is required");
  }
  const Locate at = [&ctx](std::string_view field) {
    return ctx.at_field(field);
  };
  if (Status s = check_cluster(c, at); !s) return s.error();
  return c;
}

// --- environment ------------------------------------------------------------

std::optional<std::string> env_value(const GetEnv& getenv, const char* name) {
  std::optional<std::string> value = getenv(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char ch) {
    return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
  });
  for (std::string_view yes : {"1", "true", "yes", "on"}) {
    if (lower == yes) return true;
  }
  for (std::string_view no : {"0", "false", "no", "off"}) {
    if (lower == no) return false;
  }
  return std::nullopt;
}

// SLURP_HOST_<ID> for every node that has one set.
Status apply_host_overrides(ClusterConfig& c, const GetEnv& getenv) {
  for (NodeConfig& n : c.nodes) {
    const std::string name = host_env_name(n.id);
    std::optional<std::string> host = env_value(getenv, name.c_str());
    if (!host) continue;
    for (const NodeConfig& other : c.nodes) {
      if (&other != &n && host_env_name(other.id) == name) {
        return bad(name, name + " is ambiguous: it names nodes " +
                             in_quotes(n.id) + " and " + in_quotes(other.id));
      }
    }
    if (auto problem = host_problem(*host, false)) {
      return bad(name, name + ": " + *problem);
    }
    n.host = *host;
  }
  return ok_status();
}

}  // namespace

std::string NodeConfig::endpoint(std::string_view host, std::uint16_t port) {
  // libzmq wants IPv6 addresses in brackets, as in URLs.
  const bool ipv6 = host.find(':') != std::string_view::npos;
  return "tcp://" + std::string(ipv6 ? "[" : "") + std::string(host) +
         std::string(ipv6 ? "]" : "") + ":" + std::to_string(port);
}

const NodeConfig* ClusterConfig::find_node(std::string_view id) const {
  for (const NodeConfig& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

Result<ClusterConfig> parse_cluster_config(std::string_view toml_text,
                                           std::string_view source_name,
                                           const fs::path& base_dir) {
  Context ctx{std::string(source_name), base_dir, {}};
  if (toml_text.size() > config_file_bytes_max) {
    return make_error(ErrorCode::too_large,
                      ctx.source_name + ": larger than " +
                          std::to_string(config_file_bytes_max) + " bytes");
  }
  toml::table document;
  try {
    document = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    return bad("", ctx.at(e.source()) +
                       "TOML syntax error: " + std::string(e.description()));
  }
  return read_document(document, ctx);
}

Result<ClusterConfig> load_cluster_config(const fs::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  const fs::file_status status =
      ec ? fs::file_status() : fs::status(absolute, ec);
  if (!fs::exists(status)) {
    return make_error(ErrorCode::not_found, name + ": no such file");
  }
  if (!fs::is_regular_file(status)) {
    return bad("", name + ": not a regular file");
  }
  std::ifstream in(absolute, std::ios::binary);
  std::string text(config_file_bytes_max + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad() || (!in && !in.eof())) {
    return make_error(ErrorCode::internal, name + ": cannot read the file");
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_cluster_config(text, name, absolute.parent_path());
}

std::optional<std::string> process_getenv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string host_env_name(std::string_view node_id) {
  std::string name = "SLURP_HOST_";
  for (char ch : node_id) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (ch == '.' || ch == '-') ch = '_';
    name += ch;
  }
  return name;
}

Status apply_environment(ClusterConfig& config, const GetEnv& getenv) {
  ClusterConfig next = config;  // all-or-nothing
  if (auto dir = env_value(getenv, "SLURP_DATA_DIR")) {
    next.data_dir = fs::path(*dir).lexically_normal();
    for (NodeConfig& n : next.nodes) n.data_dir = next.data_dir / n.id;
  }
  if (auto keys = env_value(getenv, "SLURP_AUTHORIZED_KEYS")) {
    next.authorized_keys = fs::path(*keys).lexically_normal();
  }
  if (auto text = env_value(getenv, "SLURP_INSECURE")) {
    std::optional<bool> insecure = parse_bool(*text);
    if (!insecure) {
      return bad("SLURP_INSECURE",
                 "SLURP_INSECURE must be one of 1 true yes on 0 false no off "
                 "(got " +
                     in_quotes(*text) + ")");
    }
    next.insecure = *insecure;
  }
  if (auto host = env_value(getenv, "SLURP_BIND_HOST")) {
    if (auto problem = host_problem(*host, true)) {
      return bad("SLURP_BIND_HOST", "SLURP_BIND_HOST: " + *problem);
    }
    for (NodeConfig& n : next.nodes) n.bind_host = *host;
  }
  if (Status s = apply_host_overrides(next, getenv); !s) return s;
  const Locate at = [](std::string_view) {
    return std::string("after environment overrides: ");
  };
  if (Status s = check_cluster(next, at); !s) return s;
  config = std::move(next);
  return ok_status();
}

std::optional<fs::path> discover_config(const std::optional<std::string>& flag,
                                        const GetEnv& getenv,
                                        const PathExists& exists) {
  if (flag && !flag->empty()) return fs::path(*flag);
  if (auto path = env_value(getenv, "SLURP_CONFIG")) return fs::path(*path);
  const fs::path local = "cluster.toml";
  if (exists(local)) return local;
  return std::nullopt;
}

std::optional<fs::path> discover_config(const std::optional<std::string>& flag,
                                        const GetEnv& getenv) {
  return discover_config(flag, getenv, [](const fs::path& path) {
    std::error_code ec;
    return fs::exists(path, ec);
  });
}

std::optional<fs::path> discover_client_key(
    const std::optional<std::string>& flag, const GetEnv& getenv,
    const ClusterConfig& config) {
  if (flag && !flag->empty()) return fs::path(*flag);
  if (auto path = env_value(getenv, "SLURP_KEY")) return fs::path(*path);
  if (!config.client_key.empty()) return config.client_key;
  return std::nullopt;
}

}  // namespace slurp::config
