// Which events slurp-monitor shows: --topic, --job and --address. Within
// one flag the values are alternatives (any may match); the flags combine
// with AND. An empty flag matches everything. --node is not here: it
// decides which nodes we subscribe to, not what we print.
//
// Attributes come from the events' `attrs` (protocol/PROTOCOL.md
// "event"): job events carry `job_id` and most carry `address`, the
// canonical UCXL address. An event without the attribute a flag asks
// about does not match it.
//
// Plain data; any thread.
#pragma once

#include <string>
#include <vector>

#include "protocol/messages.h"

namespace slurp::monitor {

struct EventFilter {
  std::vector<std::string> topic_prefixes;    // --topic
  std::vector<std::string> job_ids;           // --job, exact
  std::vector<std::string> address_prefixes;  // --address

  bool matches(const Event& event) const;
  // Beacons carry no job or address: shown only when asked for by topic
  // (a prefix of "beacon") and no --job or --address narrows the output.
  bool wants_beacons() const;
  // No --job or --address: gap, lost and restart notices still make sense.
  bool narrows_by_attrs() const {
    return !job_ids.empty() || !address_prefixes.empty();
  }
};

}  // namespace slurp::monitor
