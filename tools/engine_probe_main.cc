// slurp-engine-probe FILE...: prints one JSON line per file with the
// engine's language and line counts, for tools/engine-vs-cloc. A
// measurement aid, not a user tool: it links the engine library directly.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "src/engine/language.h"
#include "src/engine/line_counts.h"

namespace {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace slurp::engine;
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string path = argv[i];
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "slurp-engine-probe: cannot read " << path << "\n";
      status = 1;
      continue;
    }
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    const Language language = detect_language(path, content);
    const LineCounts counts = count_lines(language, content);
    std::cout << "{\"path\":" << json_string(path) << ",\"language\":\""
              << language_name(language) << "\",\"code\":" << counts.code
              << ",\"comment\":" << counts.comment
              << ",\"blank\":" << counts.blank
              << ",\"bytes\":" << content.size()
              << ",\"binary\":" << (looks_binary(content) ? "true" : "false")
              << "}\n";
  }
  return status;
}
