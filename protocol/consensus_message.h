// What a consensus message is, and who sent it: the one definition the
// Raft core, the node shell and the tests share.
//
// The wire structs (messages.h) are the core's messages, so the shell needs
// no translation. Each names its sender in a field whose name depends on
// the type (candidate, voter, leader, follower); sender_of reads it, so
// the node can check it against the key that authenticated the connection.
//
// Threads: pure functions and types; any thread.
#pragma once

#include <string>
#include <variant>

#include "protocol/messages.h"

namespace slurp {

using ConsensusMessage = std::variant<Vote, VoteReply, Append, AppendReply,
                                      SnapshotChunk, SnapshotReply, TimeoutNow>;

inline const std::string& sender_of(const ConsensusMessage& message) {
  struct Sender {
    const std::string& operator()(const Vote& m) { return m.candidate; }
    const std::string& operator()(const VoteReply& m) { return m.voter; }
    const std::string& operator()(const Append& m) { return m.leader; }
    const std::string& operator()(const AppendReply& m) { return m.follower; }
    const std::string& operator()(const SnapshotChunk& m) { return m.leader; }
    const std::string& operator()(const SnapshotReply& m) { return m.follower; }
    const std::string& operator()(const TimeoutNow& m) { return m.leader; }
  };
  return std::visit(Sender{}, message);
}

}  // namespace slurp
