#include "tools/bench/synthetic_context.h"

#include <array>
#include <cstdio>

namespace slurp::bench {
namespace {

// splitmix64: a good spread from consecutive seeds, in a few lines.
class Mix {
 public:
  explicit Mix(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  std::uint64_t state_;
};

constexpr std::array<std::string_view, 32> kWords = {
    "request", "handler", "session", "buffer",   "config", "parser", "cache",
    "stream",  "client",  "server",  "record",   "index",  "queue",  "worker",
    "token",   "schema",  "router",  "message",  "policy", "ledger", "snapshot",
    "account", "payment", "report",  "template", "metric", "filter", "batch",
    "archive", "channel", "profile", "lease"};
constexpr std::array<std::string_view, 4> kKinds = {"function", "method",
                                                    "type", "const"};
constexpr std::array<std::string_view, 8> kVerbs = {
    "Parse", "Build", "Load", "Write", "Check", "Handle", "Merge", "Close"};

std::string_view word(Mix& mix) {
  return kWords[mix.below(kWords.size())];
}

std::string capitalized(std::string_view w) {
  std::string out(w);
  if (!out.empty()) out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

// A paragraph of `words` words, like an engine's or a model's summary.
std::string sentence_run(Mix& mix, int words) {
  std::string out;
  for (int i = 0; i < words; ++i) {
    if (i > 0) out += (i % 12 == 0) ? ". " : " ";
    std::string_view w = word(mix);
    out += (i % 12 == 0) ? capitalized(w) : std::string(w);
  }
  return out + ".";
}

std::string hex_digest(Mix& mix) {
  std::string out;
  for (int i = 0; i < 4; ++i) {
    char part[17];
    std::snprintf(part, sizeof part, "%016llx",
                  static_cast<unsigned long long>(mix.next()));
    out += part;
  }
  return out;
}

}  // namespace

std::string synthetic_address(std::uint64_t index) {
  char path[64];
  std::snprintf(path, sizeof path, "d%04llu/f%07llu.go",
                static_cast<unsigned long long>(index / 1000),
                static_cast<unsigned long long>(index));
  return std::string(kSyntheticPrefix) + path;
}

Context synthetic_context(std::uint64_t index) {
  Mix mix(index);
  Context c;
  c.address = synthetic_address(index);
  c.version = 1;
  c.content_hash = hex_digest(mix);
  c.language = "go";
  c.summary = sentence_run(mix, 60);
  c.purpose = sentence_run(mix, 12);
  c.technologies = {"net/http", "encoding/json", std::string(word(mix))};
  c.tags = {"service", std::string(word(mix)), std::string(word(mix))};
  std::uint64_t line = 1 + mix.below(20);
  for (int i = 0; i < 20; ++i) {
    std::string name = std::string(kVerbs[mix.below(kVerbs.size())]) +
                       capitalized(word(mix)) + capitalized(word(mix));
    c.symbols.push_back(Symbol{
        std::move(name), std::string(kKinds[mix.below(kKinds.size())]), line});
    line += 3 + mix.below(25);
  }
  for (int i = 0; i < 8; ++i) {
    c.imports.push_back("github.com/bench/" + std::string(word(mix)) + "/" +
                        std::string(word(mix)));
  }
  const std::uint64_t lines_code = line + mix.below(40);
  c.metrics =
      Metrics{lines_code, lines_code / 6, lines_code / 8, lines_code * 31};
  c.todos = {"handle " + std::string(word(mix)) + " errors",
             "split " + std::string(word(mix)) + " out of this file"};
  c.license = "MIT";
  c.engine = "bench";
  c.engine_version = "1";
  c.generated_at_ms = 1795000000000 + index;
  c.confidence = 0.8;
  c.languages = {LanguageShare{"go", 1, lines_code}};
  return c;
}

}  // namespace slurp::bench
