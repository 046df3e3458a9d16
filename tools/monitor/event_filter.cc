#include "tools/monitor/event_filter.h"

#include <algorithm>

namespace slurp::monitor {
namespace {

bool any_prefix(const std::vector<std::string>& prefixes,
                const std::string& text) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return text.starts_with(p); });
}

// Empty `wanted`: no constraint. Otherwise the attribute must be there.
bool attr_matches(const Event& event, const char* key,
                  const std::vector<std::string>& wanted, bool prefix) {
  if (wanted.empty()) return true;
  auto it = event.attrs.find(key);
  if (it == event.attrs.end()) return false;
  if (prefix) return any_prefix(wanted, it->second);
  return std::find(wanted.begin(), wanted.end(), it->second) != wanted.end();
}

}  // namespace

bool EventFilter::matches(const Event& event) const {
  if (!topic_prefixes.empty() && !any_prefix(topic_prefixes, event.topic)) {
    return false;
  }
  return attr_matches(event, "job_id", job_ids, false) &&
         attr_matches(event, "address", address_prefixes, true);
}

bool EventFilter::wants_beacons() const {
  return !narrows_by_attrs() && any_prefix(topic_prefixes, "beacon");
}

}  // namespace slurp::monitor
