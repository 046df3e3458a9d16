// How slurp-monitor writes what it follows, one line per item:
//   event    `seq node term topic k=v ...`, " [fetched]" when it came by
//            fetch_events rather than PUB
//   beacon   `seq node term beacon leader=L commit_index=C api=E`
//   gap      `gap NODE from_seq=A to_seq=B` before its events are fetched;
//            ` lost first_available_seq=F` when the node no longer has them
//   restart  `restart NODE seq=S previous_seq=P` (a node's sequence began
//            again)
// Values a reader could not split on spaces are JSON-quoted. With colour,
// the topic is coloured by family (topic_color) and the rest dimmed; the
// text is otherwise the same. --json writes one object per line instead,
// with "type" event, beacon, gap or restart, and never colour.
//
// Free functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/messages.h"

namespace slurp::monitor {

struct RenderStyle {
  bool json = false;
  bool color = false;  // ignored with json
};

std::string render_event(const Event& event, bool fetched,
                         const RenderStyle& style);
std::string render_beacon(const Beacon& beacon, const RenderStyle& style);
std::string render_gap(const std::string& node, std::uint64_t from_seq,
                       std::uint64_t to_seq, const RenderStyle& style);
std::string render_lost(const std::string& node, std::uint64_t from_seq,
                        std::uint64_t to_seq, std::uint64_t first_available_seq,
                        const RenderStyle& style);
std::string render_restart(const std::string& node, std::uint64_t seq,
                           std::uint64_t previous_seq,
                           const RenderStyle& style);

// The SGR colour of a topic's family: completions green, failures red,
// retries and leadership yellow, queue movement cyan, "" for the rest.
std::string_view topic_color(std::string_view topic);

}  // namespace slurp::monitor
