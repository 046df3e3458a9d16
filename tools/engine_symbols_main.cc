// slurp-engine-symbols FILE...: one JSON line per file with the symbols,
// imports, summary and TODOs the engine extracts. Used by
// tools/engine-vs-ctags to compare against universal-ctags.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "src/engine/language.h"
#include "src/engine/symbols.h"

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_strings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& s : items) {
    if (out.size() > 1) out += ',';
    out += json_string(s);
  }
  return out + "]";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace slurp::engine;
  int status = 0;
  for (int a = 1; a < argc; ++a) {
    std::ifstream in(argv[a], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "slurp-engine-symbols: cannot read %s\n", argv[a]);
      status = 1;
      continue;
    }
    const std::string content{std::istreambuf_iterator<char>(in), {}};
    const Language language = detect_language(argv[a], content);
    const Extraction x = extract(language, content, argv[a]);
    std::string line = "{\"path\":" + json_string(argv[a]) +
                       ",\"language\":" + json_string(language_name(language)) +
                       ",\"symbols\":[";
    bool first = true;
    for (const auto& s : x.symbols) {
      if (!first) line += ',';
      first = false;
      line += "{\"name\":" + json_string(s.name) +
              ",\"kind\":" + json_string(s.kind) +
              ",\"line\":" + std::to_string(s.line) +
              ",\"signature\":" + json_string(s.signature) +
              ",\"doc\":" + json_string(s.doc) + "}";
    }
    line += "],\"imports\":" + json_strings(x.imports) +
            ",\"doc_summary\":" + json_string(x.doc_summary) +
            ",\"todos\":" + json_strings(x.todos) + "}\n";
    std::fputs(line.c_str(), stdout);
  }
  return status;
}
