// get and list as the reader threads answer them (src/node/context_reads.h).
#include "src/node/context_reads.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "protocol/codec.h"
#include "protocol/limits.h"
#include "src/storage/sqlite_context_store.h"
#include "tests/support/temp_dir.h"

namespace slurp::node {
namespace {

using slurp::testing::TempDir;

state::StoredContext stored(const std::string& address,
                            std::size_t symbols = 0) {
  state::StoredContext s;
  s.context.address = address;
  s.context.summary = "summary of " + address;
  for (std::size_t i = 0; i < symbols; ++i) {
    s.context.symbols.push_back(Symbol{"f" + std::to_string(i), "function", 1});
  }
  return s;
}

struct Store {
  TempDir dir;
  std::unique_ptr<storage::SqliteContextStore> writer;
  std::unique_ptr<storage::ContextReader> reader;
  Store() {
    auto w = storage::SqliteContextStore::open(dir.path());
    REQUIRE(w);
    writer = std::move(*w);
  }
  void put_all(const std::vector<state::StoredContext>& all) {
    writer->begin_entry(1);
    for (const auto& s : all) writer->put(s);
    REQUIRE(writer->commit(1).ok());
    auto r = storage::ContextReader::open(dir.path());
    REQUIRE(r);
    reader = std::move(*r);
  }
};

TEST_CASE(
    "list: a directory prefix, pages, and a prefix that matches "
    "nothing",
    "[node][context_reads]") {
  Store s;
  s.put_all({stored("ucxl://any:any@p:any/*^/src/a.go"),
             stored("ucxl://any:any@p:any/*^/src/b.go"),
             stored("ucxl://any:any@p:any/*^/src/c.go"),
             stored("ucxl://any:any@p:any/*^/srcx/d.go")});
  ListContexts list;
  list.id = 7;
  list.prefix = "ucxl://p/src/";
  list.limit = 2;
  Message m = context_list_reply(*s.reader, list, Role::developer);
  REQUIRE(std::holds_alternative<ListReply>(m));
  auto& page = std::get<ListReply>(m);
  CHECK(page.id == 7);
  REQUIRE(page.contexts.size() == 2);
  REQUIRE(page.next_after);
  list.after = *page.next_after;
  m = context_list_reply(*s.reader, list, Role::developer);
  auto& last = std::get<ListReply>(m);
  REQUIRE(last.contexts.size() == 1);
  CHECK(last.contexts[0].address == "ucxl://any:any@p:any/*^/src/c.go");
  CHECK_FALSE(last.next_after);

  ListContexts nothing;
  nothing.id = 8;
  nothing.prefix = "ucxl://p/nowhere/";
  m = context_list_reply(*s.reader, nothing, Role::developer);
  REQUIRE(std::holds_alternative<ErrorReply>(m));
  CHECK(std::get<ErrorReply>(m).name == "not_found");
  CHECK(std::get<ErrorReply>(m).field == "prefix");

  ListContexts over;
  over.limit = limits::list_page_contexts_max + 1;
  m = context_list_reply(*s.reader, over, Role::developer);
  REQUIRE(std::holds_alternative<ErrorReply>(m));
  CHECK(std::get<ErrorReply>(m).field == "limit");
}

TEST_CASE("list: a page stops before the decoder's object limit",
          "[node][context_reads]") {
  Store s;
  std::vector<state::StoredContext> all;
  // 1,000 symbols each: ~13,000 objects a context, far under 1 MiB in
  // bytes, so only the object bound can stop the page.
  for (int i = 0; i < 40; ++i) {
    all.push_back(stored("ucxl://p/f" + std::to_string(100 + i), 1000));
  }
  s.put_all(all);
  ListContexts list;
  list.limit = 1000;
  Message m = context_list_reply(*s.reader, list, Role::developer);
  auto& page = std::get<ListReply>(m);
  CHECK(page.contexts.size() < all.size());
  CHECK(page.next_after);
  // The encoded page decodes within the wire limits.
  auto decoded = decode(encode(m));
  CHECK(decoded);
}

TEST_CASE("get: not_found, then the stored context", "[node][context_reads]") {
  Store s;
  s.put_all({stored("ucxl://any:any@p:any/*^/a.go")});
  GetContext get;
  get.id = 3;
  get.address = "ucxl://p/b.go";
  Message m = context_get_reply(*s.reader, get, Role::developer);
  REQUIRE(std::holds_alternative<ErrorReply>(m));
  CHECK(std::get<ErrorReply>(m).name == "not_found");
  get.address = "ucxl://p/a.go";
  m = context_get_reply(*s.reader, get, Role::developer);
  REQUIRE(std::holds_alternative<ContextReply>(m));
  CHECK(std::get<ContextReply>(m).context.summary ==
        "summary of ucxl://any:any@p:any/*^/a.go");
}

TEST_CASE("the reader threads answer and wake the node",
          "[node][context_reads]") {
  Store s;
  s.put_all({stored("ucxl://any:any@p:any/*^/a.go")});
  auto reads = ContextReads::start(s.dir.path(), 2);
  REQUIRE(reads);
  for (std::uint64_t id = 1; id <= 20; ++id) {
    ContextReads::Read read;
    read.route.routing_id = Bytes{static_cast<std::uint8_t>(id)};
    GetContext get;
    get.id = id;
    get.address = "ucxl://p/a.go";
    read.request = get;
    REQUIRE((*reads)->submit(std::move(read)));
  }
  std::vector<ContextReads::Done> done;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (done.size() < 20 && std::chrono::steady_clock::now() < deadline) {
    auto some = (*reads)->take_done(7);
    CHECK(some.size() <= 7);
    for (auto& d : some) done.push_back(std::move(d));
    if (some.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(done.size() == 20);
  for (const auto& d : done) {
    auto m = decode(d.payload);
    REQUIRE(m);
    REQUIRE(std::holds_alternative<ContextReply>(*m));
    CHECK(std::get<ContextReply>(*m).id == d.route.routing_id.at(0));
  }
  CHECK((*reads)->in_flight() == 0);
}

TEST_CASE(
    "a leased directory job gets its children's stored contexts, trimmed, "
    "from a reader thread",
    "[node][context_reads]") {
  Store s;
  s.put_all({stored("ucxl://any:any@p:any/*^/src/a.go", 3),
             stored("ucxl://any:any@p:any/*^/src/b.go", 2)});
  JobBatch batch{7, "n1", {}};
  Job dir;
  dir.job_id = 9;
  dir.address = "ucxl://any:any@p:any/*^/src";
  // b.go is stored, a.go too; c.go ended without a context (not stored).
  dir.depends_on = {"ucxl://any:any@p:any/*^/src/a.go",
                    "ucxl://any:any@p:any/*^/src/b.go",
                    "ucxl://any:any@p:any/*^/src/c.go"};
  Job file;
  file.job_id = 10;
  file.address = "ucxl://any:any@p:any/*^/README";
  batch.jobs = {dir, file};

  auto reads = ContextReads::start(s.dir.path(), 1);
  REQUIRE(reads);
  ContextReads::Read read;
  read.request = batch;
  REQUIRE((*reads)->submit(std::move(read)));
  std::vector<ContextReads::Done> done;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (done.empty() && std::chrono::steady_clock::now() < deadline) {
    done = (*reads)->take_done(1);
    if (done.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(done.size() == 1);
  CHECK(done[0].jobs_term == 7);
  REQUIRE(done[0].job_batches.size() == 1);
  auto m = decode(done[0].job_batches[0]);
  REQUIRE(m);
  REQUIRE(std::holds_alternative<JobBatch>(*m));
  const JobBatch& sent = std::get<JobBatch>(*m);
  CHECK(sent.term == 7);
  CHECK(sent.leader == "n1");
  REQUIRE(sent.jobs.size() == 2);
  const Job& filled = sent.jobs[0];
  REQUIRE(filled.dependencies.size() == 2);
  CHECK(filled.dependencies[0].address == "ucxl://any:any@p:any/*^/src/a.go");
  CHECK(filled.dependencies[0].summary ==
        "summary of ucxl://any:any@p:any/*^/src/a.go");
  CHECK(filled.dependencies[0].symbols.empty());  // trimmed
  CHECK(filled.dependencies[1].address == "ucxl://any:any@p:any/*^/src/b.go");
  CHECK(sent.jobs[1].dependencies.empty());
}

}  // namespace
}  // namespace slurp::node
