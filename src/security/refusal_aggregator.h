// Aggregation of repeated refusals for the audit log (issue 12, item 4):
// the first refusal of a (kind, actor, reason) in an interval is written as
// a record; later ones in the same interval are only counted, and when the
// interval ends one "<kind>.repeated" record says how many and the last
// detail. The table of keys is bounded: past keys_max distinct keys, every
// further refusal is counted in one shared "other" counter, so memory does
// not grow with hostile input.
//
// Sans-IO: time comes in as an argument. Not thread-safe; AuditLog calls it
// under its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace slurp::security {

class RefusalAggregator {
 public:
  // A record to write.
  struct Summary {
    std::string kind, actor, detail;
  };

  RefusalAggregator(std::uint64_t interval_ms, std::size_t keys_max);

  // True: write this refusal as a record now. False: it was counted.
  bool admit(std::string_view kind, std::string_view actor,
             std::string_view reason, std::string_view detail,
             std::uint64_t now_ms);
  // Summaries of the intervals that have ended by now_ms (entries without
  // repeats end silently); their keys leave the table.
  std::vector<Summary> expire(std::uint64_t now_ms);
  // Every pending summary, as if all intervals had ended (at close).
  std::vector<Summary> drain();
  // When the earliest interval ends, if any is open.
  std::optional<std::uint64_t> next_expiry_ms() const;
  std::size_t keys() const { return entries_.size(); }

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  struct Entry {
    std::uint64_t first_ms = 0;
    std::uint64_t repeats = 0;
    std::string last_detail;
  };
  Summary summarize(const Key& key, const Entry& e) const;
  Summary summarize_other() const;

  std::uint64_t interval_ms_;
  std::size_t keys_max_;
  std::map<Key, Entry> entries_;
  // Keys in the order their intervals started, hence end.
  std::deque<std::pair<std::uint64_t, Key>> order_;
  // Refusals of keys that found the table full.
  std::uint64_t other_count_ = 0;
  std::uint64_t other_first_ms_ = 0;
  std::string other_last_;
};

}  // namespace slurp::security
