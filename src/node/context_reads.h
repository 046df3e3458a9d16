// get and list served from contexts.db on reader threads, so a large page
// (or ten thousand of them, an export of a big tree) costs the node thread
// nothing but handing the request over and sending the encoded reply.
// Before this, building a page of `list` on the node thread stalled it
// long enough for the followers to elect another leader. The leader's
// leased jobs that depend on others get their dependencies' contexts here
// too (fill_job_batch): /usr/include's directory jobs, filled on the node
// thread, held a leader's turn for up to 490 ms.
//
// Consistency: the node hands a read over only once the state machine has
// applied the read's index (read-index for linearizable reads, the local
// state for stale ones) and contexts.db has committed it (Node::advanced),
// so a reader's query sees that state or a later one, never an earlier.
//
// Bounds: at most limits::context_reads_queued_max reads wait or run
// (submit() refuses beyond, and the node answers `unavailable`); each
// reply is one page, bounded by count, bytes and msgpack objects.
//
// Threads: submit(), take_done() and wake_fd() on the node thread; the
// reader threads are this class's own, each with its own read-only
// connection (storage/context_reader.h).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "protocol/messages.h"
#include "protocol/result.h"
#include "protocol/role.h"
#include "src/node/request_table.h"
#include "src/storage/context_reader.h"

namespace slurp::node {

// The replies themselves, as pure functions of a reader (tests call them
// directly).
Message context_get_reply(storage::ContextReader& reader, const GetContext& get,
                          Role role);
// A page of the prefix's contexts: at most `limit` (list_page_contexts_*),
// stopping before reply_page_bytes_max bytes or reply_page_objects_max
// msgpack objects (the first context always goes). The first page (no
// `after`) of a prefix other than "" under which nothing is stored is
// not_found: a mistyped prefix says so instead of looking like an empty
// export.
Message context_list_reply(storage::ContextReader& reader,
                           const ListContexts& list, Role role);
// `batch` with each job's dependencies filled from the reader
// (context::fill_dependencies), split again under the message limit
// (job_batches.h) and encoded. A dependency the reader fails to read is
// left out, with a log line: the roll-up is poorer, the job still runs.
std::vector<std::string> fill_job_batch(storage::ContextReader& reader,
                                        JobBatch batch);

class ContextReads {
 public:
  struct Read {
    ReplyRoute route;  // none for a JobBatch
    Role role = Role::observer;
    std::variant<GetContext, ListContexts, JobBatch> request;
  };
  struct Done {
    ReplyRoute route;
    std::string payload;  // the encoded reply
    // A JobBatch's: its term and the encoded batches (fill_job_batch).
    std::uint64_t jobs_term = 0;
    std::vector<std::string> job_batches;
  };

  // Opens one reader per thread on dir's contexts.db. Errors: internal.
  static Result<std::unique_ptr<ContextReads>> start(const std::string& dir,
                                                     std::size_t threads);
  ~ContextReads();
  ContextReads(const ContextReads&) = delete;
  ContextReads& operator=(const ContextReads&) = delete;

  // false when context_reads_queued_max reads are already in flight.
  bool submit(Read read);
  // Up to `max` finished replies, oldest first.
  std::vector<Done> take_done(std::size_t max);
  // Readable while replies wait in take_done (an eventfd, for the poll).
  int wake_fd() const { return wake_fd_; }
  std::size_t in_flight() const;

 private:
  ContextReads() = default;
  void run(storage::ContextReader& reader);

  mutable std::mutex mutex_;
  std::condition_variable work_;
  std::deque<Read> queued_;
  std::deque<Done> done_;
  std::size_t running_ = 0;
  bool stop_ = false;
  int wake_fd_ = -1;
  std::vector<std::unique_ptr<storage::ContextReader>> readers_;
  std::vector<std::thread> threads_;
};

}  // namespace slurp::node
