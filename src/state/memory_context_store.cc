#include "src/state/memory_context_store.h"

namespace slurp::state {

std::optional<StoredContext> MemoryContextStore::find(
    const std::string& address) const {
  auto it = contexts_.find(address);
  if (it == contexts_.end()) return std::nullopt;
  return it->second;
}

void MemoryContextStore::put(const StoredContext& record) {
  contexts_.insert_or_assign(record.context.address, record);
}

void MemoryContextStore::scan(
    const std::string& prefix, const std::string& after,
    const std::function<bool(const StoredContext&)>& visit) const {
  // Start at whichever is later: the prefix's first address or `after`.
  auto it = after < prefix ? contexts_.lower_bound(prefix)
                           : contexts_.upper_bound(after);
  for (; it != contexts_.end() && it->first.starts_with(prefix); ++it) {
    if (!visit(it->second)) return;
  }
}

std::unique_ptr<ContextStore> MemoryContextStore::clone() const {
  return std::make_unique<MemoryContextStore>(*this);
}

}  // namespace slurp::state
