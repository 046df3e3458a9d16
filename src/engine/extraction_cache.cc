#include "src/engine/extraction_cache.h"

#include <functional>

namespace slurp::engine {

std::size_t extraction_bytes(const Extraction& e) {
  std::size_t bytes =
      sizeof(Extraction) + e.doc_summary.size() + e.include_guard.size();
  for (const ExtractedSymbol& s : e.symbols) {
    bytes += sizeof(ExtractedSymbol) + s.name.size() + s.kind.size() +
             s.signature.size() + s.doc.size();
  }
  for (const std::string& s : e.imports) bytes += sizeof(s) + s.size();
  for (const std::string& s : e.todos) bytes += sizeof(s) + s.size();
  return bytes;
}

std::size_t ExtractionCache::key(std::uint64_t variant,
                                 std::string_view content) {
  return std::hash<std::string_view>{}(content) ^
         (static_cast<std::size_t>(variant) * 0x9E3779B97F4A7C15ull);
}

ExtractionCache::Lru::iterator ExtractionCache::locate(
    std::size_t hash, std::uint64_t variant, std::string_view content) {
  auto [first, last] = index_.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    const Entry& e = *it->second;
    if (e.variant == variant && e.content == content) return it->second;
  }
  return lru_.end();
}

std::optional<Extraction> ExtractionCache::find(std::uint64_t variant,
                                                std::string_view content) {
  const std::size_t hash = key(variant, content);
  const std::lock_guard lock(mutex_);
  const auto it = locate(hash, variant, content);
  if (it == lru_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it);
  return it->extraction;
}

void ExtractionCache::insert(std::uint64_t variant, std::string_view content,
                             const Extraction& extraction) {
  const std::size_t entry_bytes =
      content.size() + extraction_bytes(extraction) + sizeof(Entry);
  if (entry_bytes > bytes_max_ || entries_max_ == 0) return;
  const std::size_t hash = key(variant, content);
  const std::lock_guard lock(mutex_);
  if (locate(hash, variant, content) != lru_.end()) return;
  evict_to(entries_max_ - 1, bytes_max_ - entry_bytes);
  lru_.push_front(
      Entry{variant, hash, std::string(content), extraction, entry_bytes});
  index_.emplace(hash, lru_.begin());
  bytes_ += entry_bytes;
}

// Drops the least recently used entries until at most `entries` and
// `bytes` remain.
void ExtractionCache::evict_to(std::size_t entries, std::size_t bytes) {
  while (!lru_.empty() && (lru_.size() > entries || bytes_ > bytes)) {
    const Entry& old = lru_.back();
    auto [first, last] = index_.equal_range(old.hash);
    for (auto it = first; it != last; ++it) {
      if (&*it->second == &old) {
        index_.erase(it);
        break;
      }
    }
    bytes_ -= old.bytes;
    lru_.pop_back();
  }
}

std::size_t ExtractionCache::entries() const {
  const std::lock_guard lock(mutex_);
  return lru_.size();
}

std::size_t ExtractionCache::bytes() const {
  const std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace slurp::engine
