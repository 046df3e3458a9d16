#include "protocol/wire_size.h"

#include "protocol/limits.h"

namespace slurp {
namespace {

// Field names, msgpack headers and integers of one record: far less than
// this in practice, so the estimate stays an upper bound.
constexpr std::size_t kRecordOverheadBytes = 512;
constexpr std::size_t kItemOverheadBytes = 16;
std::size_t strings_bytes(const std::vector<std::string>& items) {
  std::size_t n = 0;
  for (const std::string& s : items) n += s.size() + kItemOverheadBytes;
  return n;
}

}  // namespace

std::size_t wire_bytes_estimate(const Context& c) {
  std::size_t n = kRecordOverheadBytes + c.address.size() +
                  c.content_hash.size() + c.language.size() + c.summary.size() +
                  c.purpose.size() + c.engine.size() + c.engine_version.size() +
                  strings_bytes(c.technologies) + strings_bytes(c.tags) +
                  strings_bytes(c.imports) + strings_bytes(c.todos) +
                  c.license.value_or("").size();
  for (const Symbol& s : c.symbols) {
    n += s.name.size() + s.kind.size() + 3 * kItemOverheadBytes;
  }
  for (const LanguageShare& l : c.languages) {
    n += l.language.size() + 3 * kItemOverheadBytes;
  }
  return n;
}

std::size_t wire_objects_estimate(const Context& c) {
  // The record's and the metrics' keys and values, with room to spare;
  // each string item one object; a symbol or a language share a map of a
  // few fields (two objects per field, one for the map).
  constexpr std::size_t kRecordObjects = 128;
  constexpr std::size_t kSymbolObjects = 16;
  constexpr std::size_t kLanguageObjects = 8;
  return kRecordObjects + c.technologies.size() + c.tags.size() +
         c.imports.size() + c.todos.size() + kSymbolObjects * c.symbols.size() +
         kLanguageObjects * c.languages.size();
}

std::size_t wire_bytes_estimate(const Job& job) {
  std::size_t n =
      kRecordOverheadBytes + job.address.size() + job.role.size() +
      (job.content ? job.content->size() : 0) +
      job.file_path.value_or("").size() + job.content_hash.value_or("").size() +
      strings_bytes(job.depends_on) + strings_bytes(job.failed_dependencies);
  for (const Context& c : job.dependencies) n += wire_bytes_estimate(c);
  return n;
}

std::size_t wire_bytes_estimate(const JobResult& result) {
  return kRecordOverheadBytes +
         (result.context ? wire_bytes_estimate(*result.context) : 0) +
         result.error.value_or("").size();
}

}  // namespace slurp
