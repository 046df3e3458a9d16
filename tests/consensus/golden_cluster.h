// The commands of a golden script (tests/consensus/testdata/README.md),
// run on a TestCluster. Unlike TestCluster::deliver_all, nothing happens
// behind the script's back: ticks and deliveries only step the Raft
// instances, and their Readies are handled (and printed) when the script
// says `process` or `stabilize`, so the output shows each Ready's contents
// in the order the shell would see them.
// Test-only; one thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/consensus/test_cluster.h"

namespace slurp::consensus::test {

class GoldenCluster {
 public:
  // Runs one command line and returns what it printed (see CommandRunner
  // in golden_script.h). Throws std::runtime_error on a malformed command.
  std::string run(const std::string& line);

 private:
  struct Args;
  // What a node looked like when last printed; a change gets a line.
  struct Seen {
    RaftRole role = RaftRole::follower;
    std::uint64_t term = 0;
    std::optional<NodeId> leader;
  };

  void cmd_cluster(const Args& a);
  void cmd_tick(const Args& a);
  void cmd_campaign(const Args& a);
  void cmd_process(const Args& a);
  void cmd_deliver(const Args& a);
  void cmd_stabilize(const Args& a);
  void cmd_propose(const Args& a);
  void cmd_read_index(const Args& a);
  void cmd_transfer(const Args& a);
  void cmd_compact(const Args& a);
  void cmd_partition(const Args& a);
  void cmd_cut(const Args& a);
  void cmd_crash(const Args& a);
  void cmd_restart(const Args& a);
  void cmd_status(const Args& a);

  TestCluster& cluster();
  const NodeId& node_arg(const Args& a, std::size_t i);
  // Handles every pending Ready of `id` and prints each one.
  void process(const NodeId& id);
  bool any_ready() const;
  // Delivers the queued messages matching from/to ("" = any), oldest
  // first, stepping receivers without handling their Readies.
  std::size_t deliver(const NodeId& from, const NodeId& to);
  void print_ready(const NodeId& id, const Ready& r);
  // Prints a line for every node whose role, term or leader changed.
  void note_changes();
  // The state machine as applied up to index_max: the restored snapshot's
  // data, then each applied user entry's data, joined by ",".
  std::string state_of(const NodeId& id, std::uint64_t index_max);

  std::unique_ptr<TestCluster> cluster_;
  std::map<NodeId, std::size_t> readies_printed_;
  std::map<NodeId, Seen> seen_;
  std::ostringstream out_;
  std::string indent_;  // "  " inside a "> ..." block of stabilize
};

}  // namespace slurp::consensus::test
