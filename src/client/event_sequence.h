// Following each node's event sequence (protocol/PROTOCOL.md "event"):
// `seq` counts from 1 per publishing node with no gaps, and a beacon
// carries the latest seq of its node without taking one of its own. A
// subscriber to every topic therefore sees, per node, seq + 1 after seq;
// a jump means PUB dropped events (fetch them with fetch_events), a step
// back means the node restarted (its sequence begins again at 1).
//
// Sans-IO and pure: the caller feeds what it received and acts on the
// verdict. Plain data; one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace slurp::client {

struct SequenceVerdict {
  enum class Kind {
    first,      // the first seq seen from this node: nothing to compare
    next,       // in order
    repeat,     // a beacon naming the seq already seen: nothing new
    gap,        // missed [missing_from, missing_to]; fetch them
    restarted,  // the seq went back (to `seq`): a new node process
  };
  Kind kind = Kind::first;
  std::uint64_t missing_from = 0;  // gap only
  std::uint64_t missing_to = 0;    // gap only, inclusive
  std::uint64_t previous = 0;      // restarted: the last seq before
};

class EventSequence {
 public:
  // An event with `seq` arrived from `node`.
  SequenceVerdict on_event(const std::string& node, std::uint64_t seq);
  // A beacon from `node` says its latest seq is `seq` (0: none yet).
  SequenceVerdict on_beacon(const std::string& node, std::uint64_t seq);

  // The last seq accounted for (printed, fetched or reported lost).
  std::optional<std::uint64_t> last(const std::string& node) const;

 private:
  SequenceVerdict observe(const std::string& node, std::uint64_t seq,
                          bool beacon);

  std::map<std::string, std::uint64_t> last_;  // node -> last seq
};

}  // namespace slurp::client
