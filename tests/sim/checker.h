// The safety checker: judges, as the simulation runs, the properties Raft
// promises (Ongaro 2014, figure 3.2 and §3.6) plus what the storage
// contract and the Ready contract promise across crashes.
//
//   election safety      at most one leader per term, over the whole run
//   leader append-only   a leader never truncates its own log
//   log matching         two logs with an entry of the same index and term
//                        agree on it and on every entry before it
//   leader completeness  an entry committed in term C is in the log, or
//                        covered by the snapshot, of every leader of a
//                        term T >= C elected after the commit. C is not
//                        observable; the checker bounds it from above by
//                        the lowest term any node had when applying the
//                        entry (a node that applies an entry has learned
//                        of a commit made in its term or before), so the
//                        check never fires wrongly and is exact in the
//                        common case. (A leader of a lower term can
//                        legitimately be elected after the commit: its
//                        vote replies were delayed; it cannot commit.)
//   state machine safety no two nodes apply different entries at an index;
//                        a restored snapshot equals the applied history
//   acknowledged writes  every proposal acknowledged to a client is in the
//                        log or snapshot, at its index, of every leader
//                        elected afterwards in a term at or above the one
//                        it was committed in (bounded as above)
//   linearizable reads   a read confirmed by read-index (§6.4) is served
//                        at an index at or above every write acknowledged
//                        before the read began
//   commit monotonicity  within a life commit never falls; after a restart
//                        it starts at or above the last synced commit
//   durable hard state   term and vote never regress across a restart
//                        (loaded vs last synced); written hard states never
//                        regress either
//   durable log          a restart recovers every synced entry that no
//                        later write replaced
//
// Log matching is checked through a registry (index, term) -> (digest,
// term of the entry before): if every write agrees with it, the classic
// induction gives log matching without comparing whole logs.
//
// The first violation is kept; the run stops there.
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/sim/sim_node.h"

namespace slurp::sim {

struct Violation {
  Micros at_us = 0;
  std::string what;
};

struct CheckerCounters {
  std::uint64_t leaders_elected = 0;
  std::uint64_t highest_term = 0;
  std::uint64_t entries_applied = 0;  // by all nodes, snapshots excluded
  std::uint64_t acknowledged = 0;
};

class Checker {
 public:
  explicit Checker(std::size_t node_count);

  void set_time(Micros now) { now_ = now; }

  void on_write(const SimNode& node, const consensus::Ready& ready);
  void on_loaded(const SimNode& node, const consensus::InitialState& initial);
  void on_apply(const SimNode& node, const LogEntry& entry);
  void on_restore(const SimNode& node);
  void on_settled(const SimNode& node);
  void on_anomaly(const SimNode& node, const std::string& what);
  // A client learned that its proposal committed at (index, term).
  void on_acknowledged(std::uint64_t index, std::uint64_t term,
                       std::uint64_t digest);
  // A read confirmed by read-index is served at `index`; `floor` is the
  // highest index acknowledged to any client before the read began.
  void on_read_served(const SimNode& node, std::uint64_t index,
                      std::uint64_t floor);
  // After the liveness phase: every node holds every acknowledged write.
  void check_acknowledged_everywhere(const std::vector<const SimNode*>& nodes);

  // A violation found by another judge (the pipeline's invariants).
  void report(const std::string& what) { fail(what); }

  bool failed() const { return violation_.has_value(); }
  const std::optional<Violation>& violation() const { return violation_; }
  const CheckerCounters& counters() const { return counters_; }
  // The highest index known committed (applied by some node).
  std::uint64_t committed_index() const { return canonical_.size(); }
  // The term of the committed entry at `index` (<= committed_index()).
  std::uint64_t committed_term(std::uint64_t index) const;

 private:
  struct Canonical {
    EntryId id;
    std::uint64_t state_hash = 0;  // the state's hash after applying it
    NodeIndex first_applier = 0;
    // The lowest term of a node applying it: the term it was committed in
    // is at or below this.
    std::uint64_t commit_term_bound = 0;
  };
  struct Registered {
    std::uint64_t digest = 0;
    std::uint64_t prev_term = 0;
  };
  struct NodeRecord {
    std::uint64_t life = 0;
    std::uint64_t term = 0;
    std::uint64_t commit = 0;
    std::uint64_t leader_term = 0;     // 0: not leader when last seen
    consensus::HardState written;      // last hard state written or loaded
    std::uint64_t durable_commit = 0;  // synced before the last crash
  };

  void fail(const std::string& what);
  void fail(const SimNode& node, const std::string& what);
  void check_hard_state_write(const SimNode& node,
                              const consensus::HardState& hs);
  void check_entries_write(const SimNode& node, const consensus::Ready& ready);
  void register_entries(const SimNode& node,
                        const std::vector<LogEntry>& entries,
                        std::uint64_t prev_term);
  void check_loaded_hard_state(const SimNode& node,
                               const consensus::HardState& loaded);
  void check_loaded_log(const SimNode& node,
                        const consensus::InitialState& initial);
  void start_life(const SimNode& node, NodeRecord& record);
  void check_new_leader(const SimNode& node, std::uint64_t term);

  Micros now_ = 0;
  std::vector<NodeRecord> nodes_;
  std::map<std::uint64_t, NodeIndex> leaders_;  // term -> its leader
  std::vector<Canonical> canonical_;  // canonical_[i] holds index i + 1
  std::map<std::pair<std::uint64_t, std::uint64_t>, Registered> registry_;
  struct Acknowledged {
    std::uint64_t index = 0;
    EntryId id;
  };
  std::vector<Acknowledged> acknowledged_;
  std::optional<Violation> violation_;
  CheckerCounters counters_;
};

}  // namespace slurp::sim
