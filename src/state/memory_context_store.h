// ContextStore in memory: an ordered map, for tests, the simulator and
// tools that hold a state machine briefly. Every entry is applied once in
// a process, so the position (begin_entry) needs no bookkeeping.
//
// Threads: one owner thread.
#pragma once

#include <map>
#include <string>

#include "src/state/context_store.h"
#include "src/state/state_machine.h"

namespace slurp::state {

class MemoryContextStore final : public ContextStore {
 public:
  void begin_entry(std::uint64_t /*index*/) override {}
  std::optional<StoredContext> find(const std::string& address) const override;
  void put(const StoredContext& record) override;
  void clear() override { contexts_.clear(); }
  void scan(
      const std::string& prefix, const std::string& after,
      const std::function<bool(const StoredContext&)>& visit) const override;
  std::unique_ptr<ContextStore> clone() const override;

 private:
  std::map<std::string, StoredContext> contexts_;  // by canonical address
};

}  // namespace slurp::state
