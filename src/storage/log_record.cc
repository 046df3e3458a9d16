#include "src/storage/log_record.h"

#include <array>
#include <string>

#include "protocol/crc32c.h"

namespace slurp::storage {
namespace {

std::array<std::uint8_t, 8> little_endian(std::uint64_t value) {
  std::array<std::uint8_t, 8> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
  return out;
}

Error corrupt(std::uint64_t index, const std::string& why) {
  return make_error(ErrorCode::internal,
                    "log record " + std::to_string(index) + " " + why);
}

}  // namespace

std::uint32_t log_record_crc(const LogEntry& entry) {
  std::uint32_t crc = crc32c(little_endian(entry.index));
  crc = crc32c(little_endian(entry.term), crc);
  crc = crc32c(little_endian(entry.kind), crc);
  return crc32c(entry.data, crc);
}

Status check_new_entries(const std::vector<LogEntry>& entries,
                         const LogBounds& bounds) {
  if (entries.empty()) return ok_status();
  const std::uint64_t first = entries.front().index;
  if (first <= bounds.snapshot_index || first > bounds.last_index + 1) {
    return make_error(ErrorCode::internal,
                      "entries start at " + std::to_string(first) +
                          ", outside [" +
                          std::to_string(bounds.snapshot_index + 1) + ", " +
                          std::to_string(bounds.last_index + 1) + "]");
  }
  for (std::size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].index != entries[i - 1].index + 1) {
      return make_error(
          ErrorCode::internal,
          "entries not consecutive at " + std::to_string(entries[i].index));
    }
  }
  return ok_status();
}

Result<CheckedLog> check_stored_log(std::vector<StoredRecord> records,
                                    std::uint64_t snapshot_index,
                                    std::uint64_t snapshot_term,
                                    std::uint64_t commit) {
  CheckedLog out;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const LogEntry& entry = records[i].entry;
    if (log_record_crc(entry) == records[i].crc) continue;
    const bool last = i + 1 == records.size();
    if (!last) return corrupt(entry.index, "failed its checksum");
    // A committed entry was fsynced before commit could cover it, so it
    // cannot be a torn write.
    if (entry.index <= commit) {
      return corrupt(entry.index, "failed its checksum (at or below commit " +
                                      std::to_string(commit) + ")");
    }
    out.torn_tail = true;
  }
  if (out.torn_tail) records.pop_back();
  std::uint64_t expected = snapshot_index + 1;
  std::uint64_t term_min = snapshot_term;
  out.entries.reserve(records.size());
  for (StoredRecord& record : records) {
    if (record.entry.index != expected) {
      return corrupt(record.entry.index, "out of place: expected index " +
                                             std::to_string(expected));
    }
    if (record.entry.term < term_min) {
      return corrupt(record.entry.index, "has term " +
                                             std::to_string(record.entry.term) +
                                             " below its predecessor's " +
                                             std::to_string(term_min));
    }
    term_min = record.entry.term;
    ++expected;
    out.entries.push_back(std::move(record.entry));
  }
  return out;
}

Status check_compact_args(std::uint64_t index,
                          const consensus::Snapshot& snapshot) {
  if (index != snapshot.meta.last_index) {
    return make_error(ErrorCode::internal,
                      "compact at " + std::to_string(index) +
                          " with a snapshot covering " +
                          std::to_string(snapshot.meta.last_index));
  }
  return ok_status();
}

}  // namespace slurp::storage
