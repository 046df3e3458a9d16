#include "tests/sim/message_trace.h"

#include "tests/sim/overloaded.h"

namespace slurp::sim {
namespace {

std::uint64_t flag(bool value) {
  return value ? 1 : 0;
}

}  // namespace

MessageTrace trace_message(const consensus::RaftMessage& message) {
  return std::visit(Overloaded{
                        [](const Vote& m) -> MessageTrace {
                          return {m.pre_vote ? "pre_vote" : "vote",
                                  {{"term", m.term},
                                   {"last_index", m.last_log_index},
                                   {"last_term", m.last_log_term}}};
                        },
                        [](const VoteReply& m) -> MessageTrace {
                          return {
                              m.pre_vote ? "pre_vote_reply" : "vote_reply",
                              {{"term", m.term}, {"granted", flag(m.granted)}}};
                        },
                        [](const Append& m) -> MessageTrace {
                          return {"append",
                                  {{"term", m.term},
                                   {"prev", m.prev_log_index},
                                   {"prev_term", m.prev_log_term},
                                   {"entries", m.entries.size()},
                                   {"commit", m.commit_index},
                                   {"seq", m.seq}}};
                        },
                        [](const AppendReply& m) -> MessageTrace {
                          return {"append_reply",
                                  {{"term", m.term},
                                   {"success", flag(m.success)},
                                   {"match", m.match_index},
                                   {"hint", m.hint_index},
                                   {"hint_term", m.hint_term},
                                   {"seq", m.seq}}};
                        },
                        [](const SnapshotChunk& m) -> MessageTrace {
                          return {"snapshot_chunk",
                                  {{"term", m.term},
                                   {"last_index", m.last_index},
                                   {"offset", m.offset},
                                   {"bytes", m.data.size()},
                                   {"done", flag(m.done)}}};
                        },
                        [](const SnapshotReply& m) -> MessageTrace {
                          return {"snapshot_reply",
                                  {{"term", m.term},
                                   {"next_offset", m.next_offset},
                                   {"done", flag(m.done)}}};
                        },
                        [](const TimeoutNow& m) -> MessageTrace {
                          return {"timeout_now", {{"term", m.term}}};
                        },
                    },
                    message);
}

}  // namespace slurp::sim
