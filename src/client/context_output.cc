#include "src/client/context_output.h"

#include <cstdio>

namespace slurp::client {
namespace {

void strings(JsonWriter& w, const char* name,
             const std::vector<std::string>& items) {
  w.key(name).begin_array();
  for (const std::string& s : items) w.value(std::string_view(s));
  w.end_array();
}

std::string joined(const std::vector<std::string>& items,
                   std::size_t max = 12) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) {
    out += (i ? ", " : "") + items[i];
  }
  if (items.size() > max) {
    out += ", ... (" + std::to_string(items.size()) + " in all)";
  }
  return out;
}

std::string shares(const Context& c) {
  std::uint64_t total = 0;
  for (const auto& l : c.languages) total += l.lines_code;
  std::string out;
  for (const auto& l : c.languages) {
    if (!out.empty()) out += ", ";
    out += l.language + " " + std::to_string(l.files) + " file" +
           (l.files == 1 ? "" : "s");
    if (total > 0) {
      char pct[16];
      std::snprintf(pct, sizeof pct, " %.0f%%",
                    100.0 * static_cast<double>(l.lines_code) /
                        static_cast<double>(total));
      out += pct;
    }
  }
  return out;
}

}  // namespace

void write_context_json(JsonWriter& w, const Context& c) {
  w.begin_object().key("address").value(std::string_view(c.address));
  w.key("version").value(c.version);
  w.key("content_hash").value(std::string_view(c.content_hash));
  w.key("language").value(std::string_view(c.language));
  w.key("summary").value(std::string_view(c.summary));
  w.key("purpose").value(std::string_view(c.purpose));
  strings(w, "technologies", c.technologies);
  strings(w, "tags", c.tags);
  w.key("symbols").begin_array();
  for (const Symbol& s : c.symbols) {
    w.begin_object().key("name").value(std::string_view(s.name));
    w.key("kind").value(std::string_view(s.kind)).key("line").value(s.line);
    w.end_object();
  }
  w.end_array();
  strings(w, "imports", c.imports);
  w.key("metrics").begin_object();
  w.key("lines_code").value(c.metrics.lines_code);
  w.key("lines_comment").value(c.metrics.lines_comment);
  w.key("lines_blank").value(c.metrics.lines_blank);
  w.key("bytes").value(c.metrics.bytes).end_object();
  strings(w, "todos", c.todos);
  w.key("license");
  if (c.license) {
    w.value(std::string_view(*c.license));
  } else {
    w.null();
  }
  w.key("engine").value(std::string_view(c.engine));
  w.key("engine_version").value(std::string_view(c.engine_version));
  w.key("generated_at_ms").value(c.generated_at_ms);
  w.key("confidence").value(c.confidence);
  w.key("languages").begin_array();
  for (const LanguageShare& l : c.languages) {
    w.begin_object().key("language").value(std::string_view(l.language));
    w.key("files").value(l.files).key("lines_code").value(l.lines_code);
    w.end_object();
  }
  w.end_array().end_object();
}

std::string context_json(const Context& context) {
  JsonWriter w;
  write_context_json(w, context);
  return w.str();
}

std::string context_text(const Context& c) {
  std::string out = c.address + "\n";
  auto line = [&](const char* name, const std::string& value) {
    if (!value.empty()) out += "  " + std::string(name) + ": " + value + "\n";
  };
  line("language", c.language);
  line("summary", c.summary);
  line("purpose", c.purpose);
  line("license", c.license.value_or(""));
  line("lines", std::to_string(c.metrics.lines_code) + " code, " +
                    std::to_string(c.metrics.lines_comment) + " comment, " +
                    std::to_string(c.metrics.lines_blank) + " blank; " +
                    std::to_string(c.metrics.bytes) + " bytes");
  line("languages", shares(c));
  line("technologies", joined(c.technologies));
  line("tags", joined(c.tags));
  std::vector<std::string> symbols;
  for (const Symbol& s : c.symbols) {
    symbols.push_back(s.name + " (" + s.kind + ", line " +
                      std::to_string(s.line) + ")");
  }
  line("symbols", joined(symbols));
  line("imports", joined(c.imports));
  line("todos", joined(c.todos, 5));
  line("engine", c.engine + " " + c.engine_version + ", version " +
                     std::to_string(c.version));
  return out;
}

std::string context_markdown(const Context& c) {
  std::string out = "## `" + c.address + "`\n\n";
  if (!c.summary.empty()) out += c.summary + "\n\n";
  auto item = [&](const char* name, const std::string& value) {
    if (!value.empty())
      out += "- **" + std::string(name) + "**: " + value + "\n";
  };
  item("language", c.language);
  item("purpose", c.purpose);
  item("license", c.license.value_or(""));
  item("lines of code", std::to_string(c.metrics.lines_code));
  item("languages", shares(c));
  item("technologies", joined(c.technologies));
  item("tags", joined(c.tags));
  std::vector<std::string> symbols;
  for (const Symbol& s : c.symbols) symbols.push_back("`" + s.name + "`");
  item("symbols", joined(symbols, 30));
  item("imports", joined(c.imports, 30));
  item("todos", joined(c.todos, 10));
  out += "\n";
  return out;
}

}  // namespace slurp::client
