// The audit log's record format and its cryptography, shared by the
// writer (audit_log.h) and the verifier (audit_verify.h). PROTOCOL.md,
// "Audit log", is the specification; keep the two in step.
//
// One record is one line of JSON, fields always in this order:
//   {"seq":7,"time_ms":1700000000000,"kind":"request.rejected",
//    "actor":"mallory","detail":"...",["chain":"<32 hex>",]"epoch":3,
//    "prev":"<64 hex>","hash":"<64 hex>","mac":"<64 hex>"}
// - hash = SHA-256(prev + "\n" + the line up to `,"hash"`): a public chain
//   anyone can check, and anyone can recompute;
// - mac = HMAC-SHA256(k_epoch, prev_mac + "\n" + the line up to `,"mac"`),
//   prev_mac being the previous line's mac (64 zeros before the first);
// - k_0 is a random key of the chain, k_{e+1} = SHA-256("slurp-audit-epoch"
//   || k_e); `chain` (only on a chain's first record) names k_0 by
//   chain_id(k_0).
//
// Pure functions, callable from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slurp::security::audit {

using Key = std::array<unsigned char, 32>;

inline const std::string kZeroHex(64, '0');

// Record kinds the log itself writes.
inline constexpr std::string_view kChainStarted = "audit.chain_started";
inline constexpr std::string_view kKeyLost = "audit.key_lost";
inline constexpr std::string_view kEpochSealed = "audit.epoch_sealed";
inline constexpr std::string_view kDropped = "audit.dropped";
inline constexpr std::string_view kTornTail = "audit.torn_tail";
inline constexpr std::string_view kKeyNotEvolved = "audit.key_not_evolved";
inline constexpr std::string_view kRefusalsOther = "audit.refusals_other";
inline constexpr std::string_view kRepeatedSuffix = ".repeated";
inline constexpr std::string_view kSelfActor = "audit";

// A chain's first record is one of these two kinds and has a `chain`.
bool starts_chain(std::string_view kind);

std::string sha256_hex(std::string_view text);
std::string hmac_hex(const Key& key, std::string_view text);
Key next_epoch_key(const Key& key);
// 32 hex digits naming the chain whose epoch-0 key is `k0`; reveals
// nothing about k0.
std::string chain_id(const Key& k0);
// 16 hex digits that let a restart check a key state file belongs to the
// log (a seal record carries the check of the next epoch's key); reveals
// nothing about the key.
std::string key_check(const Key& key);
// The detail of an epoch's seal record, and the key check it carries
// ("" if none).
std::string seal_detail(std::uint64_t epoch, std::uint64_t records,
                        const Key& next_key);
std::string seal_key_check(std::string_view detail);
std::string to_hex(const Key& key);
std::optional<Key> key_from_hex(std::string_view hex);
Key random_key();

// `text` quoted to at most `bytes_max` printable bytes (printable_prefix),
// then as a JSON string with its quotes.
std::string json_field(std::string_view text, std::size_t bytes_max);

// The part of a record append() can write before the writer numbers and
// chains it: `"time_ms":..,"kind":..,"actor":..,"detail":..` with each
// field bounded by limits::audit_*_bytes_max.
std::string record_fields(std::uint64_t time_ms, std::string_view kind,
                          std::string_view actor, std::string_view detail);

// The chain state a record continues.
struct ChainLink {
  std::uint64_t seq = 0;  // of the last record (0: none)
  std::string hash = kZeroHex;
  std::string mac = kZeroHex;
};

// A full record line (newline included) continuing `link` under `key` of
// `epoch`; `chain` is non-empty only for a chain's first record. Updates
// `link` to the new record.
std::string chain_record(ChainLink& link, std::string_view fields,
                         std::string_view chain, std::uint64_t epoch,
                         const Key& key);

// One parsed record line (without its newline). Views point into `line`.
struct ParsedRecord {
  std::uint64_t seq = 0;
  std::uint64_t time_ms = 0;
  std::string kind, actor, detail;  // JSON-decoded
  std::string chain;                // empty unless a chain's first record
  std::uint64_t epoch = 0;
  std::string prev, hash, mac;
  std::string_view hashed;  // the line up to `,"hash"`
  std::string_view maced;   // the line up to `,"mac"`
};
// Parses one line of exactly the format above; on failure returns nullopt
// and says why in `why`.
std::optional<ParsedRecord> parse_record(std::string_view line,
                                         std::string& why);

// A small strict reader of flat JSON objects whose values are strings or
// unsigned integers (records and key files). Fields in file order.
struct FlatField {
  std::string name;
  std::string text;  // decoded string, or the digits of a number
  bool is_number = false;
  std::size_t end = 0;  // offset in the line just past the value
};
bool parse_flat_object(std::string_view line, std::vector<FlatField>& fields,
                       std::string& why);

}  // namespace slurp::security::audit
