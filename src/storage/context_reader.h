// Reads of contexts.db (sqlite_context_store.h) through a read-only
// connection of its own, so get, list and export run on reader threads
// while the node thread applies and commits. Each query is one SQLite read
// transaction (WAL: it sees the last commit at its start and nothing
// after), so a page is consistent in itself.
//
// Threads: one thread at a time (each reader thread opens its own).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/result.h"
#include "src/state/state_machine.h"
#include "src/storage/sqlite_handle.h"

namespace slurp::storage {

class ContextReader {
 public:
  // Opens dir/contexts.db read-only; the node's store must have created
  // it. Errors: internal.
  static Result<std::unique_ptr<ContextReader>> open(const std::string& dir);

  // The current context of a canonical address, if one is stored.
  Result<std::optional<state::StoredContext>> get(const std::string& address);

  // The current contexts whose address starts with `prefix` and sorts
  // after `after`, in address order, handed to `visit` one at a time until
  // it returns false.
  Status scan(const std::string& prefix, const std::string& after,
              const std::function<bool(state::StoredContext&&)>& visit);

  // Up to `limit` contexts as the log stood at `index` (each address's
  // latest version written at or below it) with addresses after `after`,
  // in address order, as (address, encoded record): what a snapshot at
  // `index` holds.
  Status page_as_of(
      std::uint64_t index, const std::string& after, std::size_t limit,
      const std::function<void(std::string address, Bytes record)>& visit);

 private:
  explicit ContextReader(DbHandle db);
  DbHandle db_;
  StmtHandle get_, scan_, as_of_;
};

}  // namespace slurp::storage
