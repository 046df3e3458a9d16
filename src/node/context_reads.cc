#include "src/node/context_reads.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/ucxl_address.h"
#include "protocol/wire_size.h"
#include "src/context/dependency_trim.h"
#include "src/context/role_filter.h"
#include "src/node/job_batches.h"

namespace slurp::node {
namespace {

ErrorReply store_failed(std::uint64_t id, const Error& error) {
  // The store's own message names a file and a SQLite code: the client
  // learns only that the read failed here, the log gets the rest.
  spdlog::error("reading contexts.db: {}", error.describe());
  return to_error_reply(id, make_error(ErrorCode::internal,
                                       "reading the stored contexts failed "
                                       "on this node; retry or ask another"));
}

}  // namespace

Message context_get_reply(storage::ContextReader& reader, const GetContext& get,
                          Role role) {
  auto parsed = parse_ucxl(get.address);
  if (!parsed) {
    Error e = parsed.error();
    e.field = "address" + (e.field.empty() ? "" : "." + e.field);
    return to_error_reply(get.id, e);
  }
  const std::string address = parsed->to_string();
  auto stored = reader.get(address);
  if (!stored) return store_failed(get.id, stored.error());
  if (!*stored) {
    return to_error_reply(
        get.id, make_error(ErrorCode::not_found,
                           "no context stored for " + address, "address"));
  }
  return ContextReply{get.id,
                      context::filter_for_role((*stored)->context, role)};
}

// The prefix is canonicalized when it parses as an address or names a
// directory with a trailing '/', so `ucxl://project/src/` lists what was
// stored under its full form; anything else is compared as written
// (canonical_list_prefix).
Message context_list_reply(storage::ContextReader& reader,
                           const ListContexts& list, Role role) {
  if (list.limit > limits::list_page_contexts_max) {
    return to_error_reply(
        list.id, make_error(ErrorCode::bad_request,
                            "limit over " +
                                std::to_string(limits::list_page_contexts_max),
                            "limit"));
  }
  const std::string prefix = canonical_list_prefix(list.prefix);
  const std::size_t limit =
      list.limit == 0 ? limits::list_page_contexts_default : list.limit;
  ListReply reply;
  reply.id = list.id;
  std::size_t bytes = 0;
  std::size_t objects = 0;
  bool more = false;
  Status s = reader.scan(prefix, list.after, [&](state::StoredContext&& c) {
    if (reply.contexts.size() == limit) {
      more = true;
      return false;
    }
    Context shown = context::filter_for_role(c.context, role);
    const std::size_t size = wire_bytes_estimate(shown);
    const std::size_t n = wire_objects_estimate(shown);
    if (!reply.contexts.empty() &&
        (bytes + size > limits::reply_page_bytes_max ||
         objects + n > limits::reply_page_objects_max)) {
      more = true;
      return false;
    }
    bytes += size;
    objects += n;
    reply.contexts.push_back(std::move(shown));
    return true;
  });
  if (!s) return store_failed(list.id, s.error());
  if (reply.contexts.empty() && list.after.empty() && !prefix.empty()) {
    return to_error_reply(
        list.id, make_error(ErrorCode::not_found,
                            "no context is stored under " + prefix, "prefix"));
  }
  if (more) reply.next_after = reply.contexts.back().address;
  return reply;
}

std::vector<std::string> fill_job_batch(storage::ContextReader& reader,
                                        JobBatch batch) {
  for (Job& job : batch.jobs) {
    context::fill_dependencies(
        job, [&](const std::string& address) -> std::optional<Context> {
          auto stored = reader.get(address);
          if (!stored) {
            spdlog::error("job {}: reading dependency {}: {}", job.job_id,
                          address, stored.error().describe());
            return std::nullopt;
          }
          if (!*stored) return std::nullopt;
          return std::move((*stored)->context);
        });
  }
  std::vector<std::string> payloads;
  for (const JobBatch& split :
       split_job_batches(std::move(batch.jobs), batch.term, batch.leader)) {
    payloads.push_back(encode(split));
  }
  return payloads;
}

Result<std::unique_ptr<ContextReads>> ContextReads::start(
    const std::string& dir, std::size_t threads) {
  std::unique_ptr<ContextReads> reads(new ContextReads());
  reads->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (reads->wake_fd_ < 0) {
    return make_error(ErrorCode::internal, "eventfd for the reader threads");
  }
  for (std::size_t i = 0; i < threads; ++i) {
    auto reader = storage::ContextReader::open(dir);
    if (!reader) return reader.error();
    reads->readers_.push_back(std::move(*reader));
  }
  for (auto& reader : reads->readers_) {
    reads->threads_.emplace_back(
        [r = reads.get(), reader = reader.get()] { r->run(*reader); });
  }
  return reads;
}

ContextReads::~ContextReads() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_.notify_all();
  for (std::thread& t : threads_) t.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool ContextReads::submit(Read read) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queued_.size() + running_ + done_.size() >=
        limits::context_reads_queued_max) {
      return false;
    }
    queued_.push_back(std::move(read));
  }
  work_.notify_one();
  return true;
}

std::vector<ContextReads::Done> ContextReads::take_done(std::size_t max) {
  std::vector<Done> out;
  std::lock_guard<std::mutex> lock(mutex_);
  std::uint64_t counter = 0;
  // Clears the eventfd; set again below if replies remain.
  (void)!::read(wake_fd_, &counter, sizeof counter);
  while (!done_.empty() && out.size() < max) {
    out.push_back(std::move(done_.front()));
    done_.pop_front();
  }
  if (!done_.empty()) {
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
  return out;
}

std::size_t ContextReads::in_flight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queued_.size() + running_ + done_.size();
}

void ContextReads::run(storage::ContextReader& reader) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return stop_ || !queued_.empty(); });
    if (stop_) return;
    Read read = std::move(queued_.front());
    queued_.pop_front();
    ++running_;
    lock.unlock();
    Done done;
    done.route = std::move(read.route);
    if (auto* batch = std::get_if<JobBatch>(&read.request)) {
      done.jobs_term = batch->term;
      done.job_batches = fill_job_batch(reader, std::move(*batch));
    } else if (auto* get = std::get_if<GetContext>(&read.request)) {
      done.payload = encode(context_get_reply(reader, *get, read.role));
    } else {
      done.payload = encode(context_list_reply(
          reader, std::get<ListContexts>(read.request), read.role));
    }
    lock.lock();
    --running_;
    done_.push_back(std::move(done));
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

}  // namespace slurp::node
