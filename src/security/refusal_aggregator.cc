#include "src/security/refusal_aggregator.h"

#include "protocol/limits.h"
#include "src/security/audit_format.h"

namespace slurp::security {
namespace {

// Keys and details are kept as raw prefixes (the record quotes them with
// printable_prefix when it is written), so an entry costs at most a few
// hundred bytes whatever the input.
std::string bounded(std::string_view text, std::size_t bytes_max) {
  return std::string(text.substr(0, bytes_max));
}

}  // namespace

RefusalAggregator::RefusalAggregator(std::uint64_t interval_ms,
                                     std::size_t keys_max)
    : interval_ms_(interval_ms), keys_max_(keys_max) {}

bool RefusalAggregator::admit(std::string_view kind, std::string_view actor,
                              std::string_view reason, std::string_view detail,
                              std::uint64_t now_ms) {
  Key key{bounded(kind, limits::audit_kind_bytes_max),
          bounded(actor, limits::audit_actor_bytes_max),
          bounded(reason, limits::audit_kind_bytes_max)};
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second.repeats += 1;
    it->second.last_detail = bounded(detail, limits::audit_detail_bytes_max);
    return false;
  }
  if (entries_.size() >= keys_max_) {
    if (other_count_ == 0) other_first_ms_ = now_ms;
    other_count_ += 1;
    other_last_ = std::get<0>(key) + " by " + std::get<1>(key) + " (" +
                  std::get<2>(key) +
                  "): " + bounded(detail, limits::audit_detail_bytes_max / 2);
    return false;
  }
  entries_.emplace(key, Entry{now_ms, 0, {}});
  order_.emplace_back(now_ms + interval_ms_, std::move(key));
  return true;
}

std::vector<RefusalAggregator::Summary> RefusalAggregator::expire(
    std::uint64_t now_ms) {
  std::vector<Summary> out;
  while (!order_.empty() && order_.front().first <= now_ms) {
    auto it = entries_.find(order_.front().second);
    if (it->second.repeats > 0) out.push_back(summarize(it->first, it->second));
    entries_.erase(it);
    order_.pop_front();
  }
  if (other_count_ > 0 && other_first_ms_ + interval_ms_ <= now_ms) {
    out.push_back(summarize_other());
    other_count_ = 0;
    other_last_.clear();
  }
  return out;
}

std::vector<RefusalAggregator::Summary> RefusalAggregator::drain() {
  std::vector<Summary> out;
  for (const auto& [expiry, key] : order_) {
    const Entry& e = entries_.at(key);
    if (e.repeats > 0) out.push_back(summarize(key, e));
  }
  if (other_count_ > 0) out.push_back(summarize_other());
  entries_.clear();
  order_.clear();
  other_count_ = 0;
  other_last_.clear();
  return out;
}

std::optional<std::uint64_t> RefusalAggregator::next_expiry_ms() const {
  std::optional<std::uint64_t> next;
  if (!order_.empty()) next = order_.front().first;
  if (other_count_ > 0) {
    const std::uint64_t other = other_first_ms_ + interval_ms_;
    if (!next || other < *next) next = other;
  }
  return next;
}

RefusalAggregator::Summary RefusalAggregator::summarize(const Key& key,
                                                        const Entry& e) const {
  const auto& [kind, actor, reason] = key;
  return Summary{kind + std::string(audit::kRepeatedSuffix), actor,
                 std::to_string(e.repeats) + " more (" + reason + ") within " +
                     std::to_string(interval_ms_) +
                     " ms of the first; last: " + e.last_detail};
}

RefusalAggregator::Summary RefusalAggregator::summarize_other() const {
  return Summary{
      std::string(audit::kRefusalsOther), std::string(audit::kSelfActor),
      std::to_string(other_count_) + " refusals of keys beyond the table of " +
          std::to_string(keys_max_) + " within " +
          std::to_string(interval_ms_) + " ms; last: " + other_last_};
}

}  // namespace slurp::security
