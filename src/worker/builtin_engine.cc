#include "src/worker/builtin_engine.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>

#include "protocol/limits.h"
#include "protocol/ucxl_address.h"
#include "src/clock/clocks.h"
#include "src/engine/language.h"
#include "src/engine/license.h"
#include "src/engine/line_counts.h"
#include "src/engine/symbols.h"
#include "src/worker/context_symbols.h"
#include "src/worker/directory_rollup.h"
#include "src/worker/job_bytes.h"
#include "src/worker/utf8.h"

namespace slurp::worker {
namespace {

// Imports (or their first path segment) that name a technology.
struct TechnologyHint {
  std::string_view needle;
  std::string_view name;
};
constexpr std::array<TechnologyHint, 22> kTechnologies{{
    {"zmq", "ZeroMQ"},       {"msgpack", "msgpack"},
    {"sodium", "libsodium"}, {"sqlite", "SQLite"},
    {"spdlog", "spdlog"},    {"catch2", "Catch2"},
    {"gtest", "GoogleTest"}, {"boost", "Boost"},
    {"react", "React"},      {"django", "Django"},
    {"flask", "Flask"},      {"numpy", "NumPy"},
    {"pandas", "pandas"},    {"requests", "requests"},
    {"express", "Express"},  {"tokio", "Tokio"},
    {"serde", "serde"},      {"net/http", "net/http"},
    {"toml", "TOML"},        {"yaml", "YAML"},
    {"pytest", "pytest"},    {"CLI/CLI.hpp", "CLI11"},
}};

// ASCII lower case, without the locale: paths, import names and the
// phrases looked for are ASCII, and std::tolower was a twentieth of the
// engine's time on a tree of headers.
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string> technologies_of(
    const std::vector<std::string>& imports, const std::string& path) {
  std::vector<std::string> out;
  auto add = [&](std::string_view name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) {
      out.emplace_back(name);
    }
  };
  // The needles in lower case, made once.
  static const std::vector<std::string> needles = [] {
    std::vector<std::string> out;
    for (const TechnologyHint& t : kTechnologies)
      out.push_back(lower(t.needle));
    return out;
  }();
  for (const std::string& import : imports) {
    const std::string l = lower(import);
    for (std::size_t k = 0; k < kTechnologies.size(); ++k) {
      if (l.find(needles[k]) != std::string::npos) add(kTechnologies[k].name);
    }
  }
  const std::string l = lower(path);
  if (l.ends_with("cmakelists.txt") || l.ends_with(".cmake")) add("CMake");
  if (l.ends_with("dockerfile")) add("Docker");
  if (l.ends_with("docker-compose.yml")) add("docker-compose");
  return out;
}

std::vector<std::string> tags_of(engine::Language language,
                                 const std::string& path,
                                 std::string_view content,
                                 const engine::Extraction& found) {
  std::vector<std::string> tags;
  const std::string l = lower(path);
  if (l.find("test") != std::string::npos) tags.push_back("test");
  using engine::Language;
  if (language == Language::yaml || language == Language::toml ||
      language == Language::json || language == Language::cmake) {
    tags.push_back("config");
  }
  if (language == Language::markdown) tags.push_back("documentation");
  const bool has_main = std::any_of(
      found.symbols.begin(), found.symbols.end(),
      [](const engine::ExtractedSymbol& s) { return s.name == "main"; });
  if (has_main || content.starts_with("#!")) tags.push_back("entry_point");
  const std::string head = lower(content.substr(0, 512));
  if (head.find("generated") != std::string::npos &&
      head.find("do not edit") != std::string::npos) {
    tags.push_back("generated");
  }
  return tags;
}

bool is_type_kind(const std::string& kind) {
  return kind == "class" || kind == "struct" || kind == "interface" ||
         kind == "trait" || kind == "enum" || kind == "union";
}

// A summary when the file has no leading doc comment: its main type's doc
// comment when it has one ("socket_t: A socket."), else what was found.
std::string composed_summary(engine::Language language,
                             const engine::Extraction& found,
                             const std::vector<Symbol>& symbols) {
  for (const Symbol& s : symbols) {
    if (is_type_kind(s.kind) && s.doc) return s.name + ": " + *s.doc;
  }
  std::map<std::string, std::size_t> kinds;
  for (const auto& s : symbols) ++kinds[s.kind];
  std::string out = std::string(engine::language_name(language));
  if (out.empty()) out = "text";
  out += " file";
  if (!kinds.empty()) {
    out += " defining";
    bool first = true;
    for (const auto& [kind, n] : kinds) {
      // "class" -> "classes", "alias" -> "aliases"; the rest take an s.
      const char* plural = kind.ends_with("s") ? "es" : "s";
      out += (first ? " " : ", ") + std::to_string(n) + " " + kind +
             (n == 1 ? "" : plural);
      first = false;
    }
  }
  std::vector<std::string> types;  // the first few, by name
  for (const Symbol& s : symbols) {
    if (is_type_kind(s.kind) && types.size() < 3) types.push_back(s.name);
  }
  for (std::size_t i = 0; i < types.size(); ++i) {
    out += (i ? ", " : " (") + types[i];
  }
  if (!types.empty()) out += ")";
  if (!found.imports.empty()) {
    out += "; uses ";
    for (std::size_t i = 0; i < found.imports.size() && i < 3; ++i) {
      out += (i ? ", " : "") + found.imports[i];
    }
    if (found.imports.size() > 3) out += ", ...";
  }
  return out;
}

// What the file is for, as far as its tags say.
std::string purpose_of(const std::vector<std::string>& tags,
                       const engine::Extraction& found) {
  auto tagged = [&](std::string_view tag) {
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
  };
  if (tagged("generated")) return "generated code";
  if (tagged("test")) return "tests";
  if (tagged("entry_point")) return "program entry point";
  if (tagged("config")) return "configuration";
  if (tagged("documentation")) return "documentation";
  if (!found.symbols.empty()) return "library code";
  return "";
}

// The path inside the project, for language detection by name.
std::string path_of(const Job& job) {
  if (auto parsed = parse_ucxl(job.address)) return parsed->path;
  return job.file_path.value_or(job.address);
}

}  // namespace

Result<Context> BuiltinEngine::generate(const Job& job,
                                        const Interrupt& interrupt) {
  auto bytes = job_bytes(job, files_, interrupt);
  if (!bytes) return bytes.error();
  const std::string_view content = bytes->content();
  const std::string path = path_of(job);
  Context context;
  context.address = job.address;
  context.engine = name();
  context.engine_version = version();
  context.generated_at_ms = wall_now_ms();
  context.metrics.bytes = bytes->size;
  // The hash of the bytes analysed here, never the requester's: a forged
  // content_hash must not label this context (it would poison the cache).
  context.content_hash = bytes->hash;
  if (!bytes->present) {
    // A directory (or any address without bytes): rolled up from what it
    // depends on.
    roll_up_directory(job, context);
    return context;
  }
  if (bytes->over_limit || content.size() > files_.bytes_max) {
    // Not read (a file) or not analysed (inline content over a lowered
    // limit). A file's context has no hash, so it never answers `cached`;
    // making it again costs one fstat.
    context.summary =
        "file over " + std::to_string(files_.bytes_max) +
        " bytes: not analysed (slurp-worker --content-bytes-max raises it)";
    context.tags = {"huge"};
    context.confidence = 0.1;
    return context;
  }
  if (engine::looks_binary(content)) {
    context.summary = "binary file, " + std::to_string(content.size()) +
                      " bytes: not analysed";
    context.tags = {"binary"};
    context.confidence = 0.1;
    return context;
  }
  const engine::Language language = engine::detect_language(path, content);
  const engine::LineCounts lines = engine::count_lines(language, content);
  engine::Extraction found = engine::extract(language, content, path);
  context.language = std::string(engine::language_name(language));
  context.metrics.lines_code = lines.code;
  context.metrics.lines_comment = lines.comment;
  context.metrics.lines_blank = lines.blank;
  context.symbols = context_symbols(found);
  // Text from the file is valid UTF-8 in the context, whatever its bytes.
  for (const std::string& i : found.imports) {
    context.imports.push_back(
        printable_utf8(i, limits::context_item_bytes_max));
  }
  for (const std::string& t : found.todos) {
    context.todos.push_back(printable_utf8(t, limits::context_item_bytes_max));
  }
  context.technologies = technologies_of(found.imports, path);
  context.tags = tags_of(language, path, content, found);
  context.summary =
      printable_utf8(found.doc_summary.empty()
                         ? composed_summary(language, found, context.symbols)
                         : found.doc_summary,
                     limits::context_item_bytes_max);
  context.purpose = purpose_of(context.tags, found);
  context.license = engine::detect_license(content);
  context.languages = {LanguageShare{
      context.language.empty() ? "text" : context.language, 1, lines.code}};
  // kDescribedConfidence and above: the summary says what the file does
  // in its own words (directory_rollup.h composes directories from these).
  context.confidence =
      !found.doc_summary.empty() ? 0.7
      : context.summary.find(": ") != std::string::npos &&
              !context.symbols.empty() &&
              context.summary.starts_with(context.symbols.front().name)
          ? kDescribedConfidence
          : 0.4;
  return context;
}

}  // namespace slurp::worker
