// The extractions of recently seen contents, so that bytes seen before
// are not parsed again: trees carry copies (node's OpenSSL headers, once
// per target architecture, are a tenth of /usr/include's files and a
// third of the engine's time on it; vendored libraries; node_modules).
// cloc skips such files the same way unless told --skip-uniqueness.
//
// An entry is found by the exact bytes, compared whole on every hit (two
// contents never share an entry, whatever their hash), and by what else
// extract() reads (`variant`: the language and the path's suffix rules).
// Bounded by entries and bytes; the least recently used goes first. Any
// thread: one mutex around each call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "src/engine/symbols.h"

namespace slurp::engine {

class ExtractionCache {
 public:
  ExtractionCache(std::size_t entries_max, std::size_t bytes_max)
      : entries_max_(entries_max), bytes_max_(bytes_max) {}
  ExtractionCache(const ExtractionCache&) = delete;
  ExtractionCache& operator=(const ExtractionCache&) = delete;

  std::optional<Extraction> find(std::uint64_t variant,
                                 std::string_view content);
  // Keeps a copy of `content` and `extraction`; nothing when they alone
  // exceed the bytes bound.
  void insert(std::uint64_t variant, std::string_view content,
              const Extraction& extraction);

  std::size_t entries() const;
  std::size_t bytes() const;

 private:
  struct Entry {
    std::uint64_t variant = 0;
    std::size_t hash = 0;
    std::string content;
    Extraction extraction;
    std::size_t bytes = 0;  // content and extraction, roughly
  };
  using Lru = std::list<Entry>;

  static std::size_t key(std::uint64_t variant, std::string_view content);
  Lru::iterator locate(std::size_t hash, std::uint64_t variant,
                       std::string_view content);
  void evict_to(std::size_t entries, std::size_t bytes);

  const std::size_t entries_max_;
  const std::size_t bytes_max_;
  mutable std::mutex mutex_;
  Lru lru_;  // most recently used first
  std::unordered_multimap<std::size_t, Lru::iterator> index_;
  std::size_t bytes_ = 0;
};

// The bytes an extraction holds, for the bound above.
std::size_t extraction_bytes(const Extraction& extraction);

}  // namespace slurp::engine
