// Where the state machine keeps stored contexts: the one part of the
// replicated state that grows with use (every address ever generated), so
// it lives behind this interface instead of in the state machine's maps.
// The node keeps it on disk (storage/sqlite_context_store.h); tests and the
// simulator keep it in memory (memory_context_store.h). Both answer alike:
// the simulator's sweeps and the state tests run the same StateMachine code
// against the memory store that slurpd runs against SQLite.
//
// Positions: the state machine calls begin_entry(index) before applying
// each log entry. find() answers as of that entry: what earlier entries
// stored, plus what this entry stored so far. put() records the context as
// written by that entry. A store that outlives the process (SQLite) may
// already hold what later entries wrote, from before a restart: the log is
// replayed from the snapshot the rest of the state came from, and this
// rule makes the replay see exactly what it saw the first time.
//
// Threads: one owner thread (the state machine's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "protocol/messages.h"

namespace slurp::state {

struct StoredContext;

class ContextStore {
 public:
  virtual ~ContextStore() = default;

  // The entry whose effects the next find()/put() calls see and make.
  virtual void begin_entry(std::uint64_t index) = 0;
  // The context stored for a canonical address as of the current entry.
  virtual std::optional<StoredContext> find(
      const std::string& address) const = 0;
  // Stores `record` (under record.context.address) as written by the
  // current entry; a second put of the same address in one entry replaces
  // the first.
  virtual void put(const StoredContext& record) = 0;
  // Forgets everything (a snapshot from the leader replaces the state).
  virtual void clear() = 0;
  // Every current context with `prefix`, after `after`, in address order,
  // until `visit` returns false. The latest of each address: for
  // snapshots written from memory, for tests and equality.
  virtual void scan(
      const std::string& prefix, const std::string& after,
      const std::function<bool(const StoredContext&)>& visit) const = 0;
  // A copy holding the same contexts in memory (a copied StateMachine).
  virtual std::unique_ptr<ContextStore> clone() const = 0;
};

}  // namespace slurp::state
