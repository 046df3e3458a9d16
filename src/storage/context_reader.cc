#include "src/storage/context_reader.h"

#include "protocol/record_codec.h"
#include "src/storage/sqlite_context_store.h"

namespace slurp::storage {

Result<std::unique_ptr<ContextReader>> ContextReader::open(
    const std::string& dir) {
  auto db = open_database(SqliteContextStore::path_in(dir), true);
  if (!db) return db.error();
  sqlite3_busy_timeout(db->get(), contexts_busy_timeout_ms);
  std::unique_ptr<ContextReader> reader(new ContextReader(std::move(*db)));
  struct Sql {
    StmtHandle* into;
    const char* text;
  };
  const Sql sql[] = {
      {&reader->get_,
       "SELECT record FROM context_versions WHERE address = ?1 "
       "ORDER BY idx DESC LIMIT 1"},
      {&reader->scan_, current_contexts_sql},
      {&reader->as_of_,
       "SELECT address, record, max(idx) FROM context_versions "
       "WHERE idx <= ?1 AND address > ?2 GROUP BY address ORDER BY address "
       "LIMIT ?3"},
  };
  for (const Sql& s : sql) {
    auto stmt = prepare(reader->db_.get(), s.text);
    if (!stmt) return stmt.error();
    *s.into = std::move(*stmt);
  }
  return reader;
}

ContextReader::ContextReader(DbHandle db) : db_(std::move(db)) {}

Result<std::optional<state::StoredContext>> ContextReader::get(
    const std::string& address) {
  Query q(get_.get());
  q.bind(1, address);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return std::optional<state::StoredContext>();
  auto stored = decode_context_row(q.blob(0), address);
  if (!stored) return stored.error();
  return std::optional<state::StoredContext>(std::move(*stored));
}

Status ContextReader::scan(
    const std::string& prefix, const std::string& after,
    const std::function<bool(state::StoredContext&&)>& visit) {
  Query q(scan_.get());
  q.bind(1, prefix).bind(2, after);
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return ok_status();
    std::string address = q.text(0);
    if (!address.starts_with(prefix)) return ok_status();
    auto stored = decode_context_row(q.blob(1), address);
    if (!stored) return stored.error();
    if (!visit(std::move(*stored))) return ok_status();
  }
}

Status ContextReader::page_as_of(
    std::uint64_t index, const std::string& after, std::size_t limit,
    const std::function<void(std::string address, Bytes record)>& visit) {
  Query q(as_of_.get());
  q.bind(1, index).bind(2, after).bind(3, std::uint64_t{limit});
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return ok_status();
    visit(q.text(0), q.blob(1));
  }
}

}  // namespace slurp::storage
