#include "tools/monitor/event_render.h"

#include <array>
#include <utility>

#include "src/client/json_writer.h"
#include "tools/monitor/ansi.h"

namespace slurp::monitor {
namespace {

using client::JsonWriter;

// k=v, quoting values a reader could not split on spaces.
std::string attr_text(const std::string& key, const std::string& value,
                      bool color) {
  const bool plain =
      !value.empty() && value.find_first_of(" \t\r\n\"\\") == std::string::npos;
  const std::string shown = plain ? value : JsonWriter().value(value).str();
  return ansi::paint(key + "=", ansi::dim, color) + shown;
}

// `seq node term`, the part every event and beacon line starts with.
std::string origin(std::uint64_t seq, const std::string& node,
                   std::uint64_t term, bool color) {
  return ansi::paint(
      std::to_string(seq) + " " + node + " " + std::to_string(term), ansi::dim,
      color);
}

}  // namespace

std::string_view topic_color(std::string_view topic) {
  // Most specific first: the first prefix that matches wins.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16>
      kFamilies{{
          {"job.completed", ansi::green},
          {"context.", ansi::green},
          {"node.up", ansi::green},
          {"job.failed", ansi::bold_red},
          {"job.dead_lettered", ansi::bold_red},
          {"node.down", ansi::red},
          {"auth.failed", ansi::red},
          {"request.rejected", ansi::red},
          {"job.retry", ansi::yellow},
          {"job.failure_ignored", ansi::yellow},
          {"job.duplicate_result", ansi::yellow},
          {"leader.", ansi::bold_yellow},
          {"snapshot.", ansi::blue},
          {"job.cancelled", ansi::dim},
          {"beacon", ansi::dim},
          {"job.", ansi::cyan},
      }};
  for (const auto& [prefix, color] : kFamilies) {
    if (topic.starts_with(prefix)) return color;
  }
  return "";
}

std::string render_event(const Event& e, bool fetched,
                         const RenderStyle& style) {
  if (style.json) {
    JsonWriter w;
    w.begin_object().key("type").value("event").key("node").value(e.node);
    w.key("seq").value(e.seq).key("term").value(e.term);
    w.key("topic").value(e.topic).key("time_ms").value(e.time_ms);
    w.key("attrs").begin_object();
    for (const auto& [k, v] : e.attrs) w.key(k).value(v);
    w.end_object().key("fetched").value(fetched).end_object();
    return w.str();
  }
  const bool color = style.color;
  std::string line = origin(e.seq, e.node, e.term, color) + " " +
                     ansi::paint(e.topic, topic_color(e.topic), color);
  for (const auto& [k, v] : e.attrs) line += " " + attr_text(k, v, color);
  if (fetched) line += " " + ansi::paint("[fetched]", ansi::dim, color);
  return line;
}

std::string render_beacon(const Beacon& b, const RenderStyle& style) {
  if (style.json) {
    JsonWriter w;
    w.begin_object().key("type").value("beacon").key("node").value(b.node);
    w.key("seq").value(b.seq).key("term").value(b.term).key("leader");
    if (b.leader) {
      w.value(*b.leader);
    } else {
      w.null();
    }
    w.key("commit_index").value(b.commit_index);
    if (b.leader_endpoints) w.key("api").value(b.leader_endpoints->api);
    return w.end_object().str();
  }
  const bool color = style.color;
  std::string line = origin(b.seq, b.node, b.term, color) + " " +
                     ansi::paint("beacon", topic_color("beacon"), color);
  line += " " + attr_text("leader", b.leader.value_or("none"), color);
  line +=
      " " + attr_text("commit_index", std::to_string(b.commit_index), color);
  if (b.leader_endpoints) {
    line += " " + attr_text("api", b.leader_endpoints->api, color);
  }
  return line;
}

std::string render_gap(const std::string& node, std::uint64_t from,
                       std::uint64_t to, const RenderStyle& style) {
  if (style.json) {
    JsonWriter w;
    w.begin_object().key("type").value("gap").key("node").value(node);
    w.key("from_seq").value(from).key("to_seq").value(to).end_object();
    return w.str();
  }
  return ansi::paint("gap " + node + " from_seq=" + std::to_string(from) +
                         " to_seq=" + std::to_string(to),
                     ansi::magenta, style.color);
}

std::string render_lost(const std::string& node, std::uint64_t from,
                        std::uint64_t to, std::uint64_t first_available,
                        const RenderStyle& style) {
  if (style.json) {
    JsonWriter w;
    w.begin_object().key("type").value("gap").key("node").value(node);
    w.key("from_seq").value(from).key("to_seq").value(to);
    w.key("lost").value(true);
    w.key("first_available_seq").value(first_available).end_object();
    return w.str();
  }
  return ansi::paint(
      "gap " + node + " from_seq=" + std::to_string(from) +
          " to_seq=" + std::to_string(to) +
          " lost first_available_seq=" + std::to_string(first_available),
      ansi::magenta, style.color);
}

std::string render_restart(const std::string& node, std::uint64_t seq,
                           std::uint64_t previous, const RenderStyle& style) {
  if (style.json) {
    JsonWriter w;
    w.begin_object().key("type").value("restart").key("node").value(node);
    w.key("seq").value(seq).key("previous_seq").value(previous);
    return w.end_object().str();
  }
  return ansi::paint("restart " + node + " seq=" + std::to_string(seq) +
                         " previous_seq=" + std::to_string(previous),
                     ansi::magenta, style.color);
}

}  // namespace slurp::monitor
