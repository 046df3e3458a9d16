#include "src/engine/language.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <utility>

namespace slurp::engine {
namespace {

constexpr std::size_t kSniffBytesMax = 8 * 1024;

constexpr std::array<std::pair<std::string_view, Language>, 38> kExtensions{{
    {"c", Language::c},
    {"h", Language::c},
    {"cc", Language::cpp},
    {"cpp", Language::cpp},
    {"cxx", Language::cpp},
    {"hpp", Language::cpp},
    {"hh", Language::cpp},
    {"hxx", Language::cpp},
    // Template implementation files (libstdc++ .tcc, Boost .ipp); cloc
    // counts them as C++ too.
    {"tcc", Language::cpp},
    {"ipp", Language::cpp},
    {"inl", Language::cpp},
    {"c++", Language::cpp},
    {"h++", Language::cpp},
    {"go", Language::go},
    {"py", Language::python},
    {"js", Language::javascript},
    {"mjs", Language::javascript},
    {"cjs", Language::javascript},
    {"jsx", Language::javascript},
    {"ts", Language::typescript},
    {"tsx", Language::typescript},
    {"rs", Language::rust},
    {"java", Language::java},
    {"sh", Language::shell},
    {"bash", Language::shell},
    {"cmake", Language::cmake},
    {"md", Language::markdown},
    {"markdown", Language::markdown},
    {"mdx", Language::markdown},  // cloc counts MDX as Markdown
    {"sublime-syntax", Language::yaml},
    {"yml", Language::yaml},
    {"yaml", Language::yaml},
    {"toml", Language::toml},
    {"json", Language::json},
    {"pyi", Language::python},
    // Cython: Python syntax with C declarations, same comments and strings.
    {"pyx", Language::python},
    {"pxd", Language::python},
    {"pxi", Language::python},
}};

// Names of other languages' files and of text, as cloc knows them: no
// sniffing for these (a Makefile may quote C).
constexpr std::array<std::string_view, 14> kOtherNames{{
    "Makefile",
    "makefile",
    "GNUmakefile",
    "Dockerfile",
    "Jenkinsfile",
    "Vagrantfile",
    "Gemfile",
    "Rakefile",
    "LICENSE",
    "COPYING",
    "README",
    "ChangeLog",
    "AUTHORS",
    "NEWS",
}};

std::string_view base_name(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view extension(std::string_view name) {
  const auto dot = name.find_last_of('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return name.substr(dot + 1);
}

bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

// The first `bytes_max` bytes without comments (replaced by a space):
// "class " in a C header's comment says nothing about C++.
std::string without_comments(std::string_view content, std::size_t bytes_max) {
  const auto head = content.substr(0, bytes_max);
  std::string out;
  out.reserve(head.size());
  for (std::size_t k = 0; k < head.size(); ++k) {
    if (head[k] == '/' && k + 1 < head.size() && head[k + 1] == '/') {
      while (k < head.size() && head[k] != '\n') ++k;
      out += '\n';
    } else if (head[k] == '/' && k + 1 < head.size() && head[k + 1] == '*') {
      const auto end = head.find("*/", k + 2);
      k = end == std::string_view::npos ? head.size() : end + 1;
      out += ' ';
    } else {
      out += head[k];
    }
  }
  return out;
}

// `#include <vector>`: standard C++ headers have no extension.
bool includes_cpp_header(std::string_view code) {
  for (std::size_t at = code.find("#include <"); at != std::string_view::npos;
       at = code.find("#include <", at + 1)) {
    const std::size_t begin = at + 10;
    const std::size_t end = code.find('>', begin);
    if (end == std::string_view::npos || end - begin > 40) continue;
    const std::string_view name = code.substr(begin, end - begin);
    if (name.find('.') == std::string_view::npos &&
        name.find('/') == std::string_view::npos && !name.empty()) {
      return true;
    }
  }
  return false;
}

// C++ in a ".h" file shows itself through these outside comments. Headers
// open with long comments and #includes (gtest.h: 8 KiB of them), so the
// look goes further than the sniff.
constexpr std::size_t kHeaderLookBytesMax = 64 * 1024;
bool looks_cpp(std::string_view content) {
  const std::string code = without_comments(content, kHeaderLookBytesMax);
  const std::string_view head = code;
  return contains(head, "class ") || contains(head, "namespace ") ||
         contains(head, "template <") || contains(head, "template<") ||
         contains(head, "std::") || includes_cpp_header(head);
}

// Lines that start with `prefix` (after blanks) and lines that end with
// `;`, `{` or `}`, in the sniffed head.
struct CShape {
  std::size_t includes = 0;
  std::size_t statements = 0;
};
CShape c_shape(std::string_view head) {
  CShape shape;
  while (!head.empty()) {
    const auto nl = head.find('\n');
    auto line = head.substr(0, nl);
    head =
        nl == std::string_view::npos ? std::string_view() : head.substr(nl + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.starts_with("#include <") || line.starts_with("#include \""))
      ++shape.includes;
    if (!line.empty() &&
        (line.back() == ';' || line.back() == '{' || line.back() == '}'))
      ++shape.statements;
  }
  return shape;
}

Language by_shebang(std::string_view content) {
  if (!content.starts_with("#!")) return Language::unknown;
  auto line = content.substr(0, content.find('\n'));
  const auto env = line.find("env ");
  // "#!/usr/bin/env python3" names the interpreter after "env".
  std::string_view interpreter = base_name(
      env != std::string_view::npos ? line.substr(env + 4) : line.substr(2));
  interpreter = interpreter.substr(0, interpreter.find(' '));
  if (interpreter.starts_with("python")) return Language::python;
  if (interpreter == "sh" || interpreter == "bash" || interpreter == "dash" ||
      interpreter == "zsh" || interpreter == "ksh") {
    return Language::shell;
  }
  if (interpreter.starts_with("node")) return Language::javascript;
  return Language::unknown;
}

Language by_content(std::string_view content) {
  const auto head = content.substr(0, kSniffBytesMax);
  const auto first = head.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Language::unknown;
  if (head[first] == '{' || head[first] == '[') {
    const auto after = head.find_first_not_of(" \t\r\n", first + 1);
    if (after != std::string_view::npos &&
        (head[after] == '"' || head[after] == '{' || head[after] == '}' ||
         head[after] == ']')) {
      return Language::json;
    }
  }
  if (head.starts_with("package ") && contains(head, "\nfunc ")) {
    return Language::go;
  }
  // C takes more than one `#include`: includes at line starts and lines
  // shaped like C statements.
  const CShape shape = c_shape(head);
  if (shape.includes >= 1 && shape.includes + shape.statements >= 6) {
    return looks_cpp(head) ? Language::cpp : Language::c;
  }
  if (head.starts_with("---\n") && !contains(head, "\n---\n")) {
    return Language::yaml;  // one document, not Markdown's front matter
  }
  return Language::unknown;
}

}  // namespace

std::string_view language_name(Language language) {
  switch (language) {
    case Language::unknown: return "";
    case Language::c: return "c";
    case Language::cpp: return "cpp";
    case Language::go: return "go";
    case Language::python: return "python";
    case Language::javascript: return "javascript";
    case Language::typescript: return "typescript";
    case Language::rust: return "rust";
    case Language::java: return "java";
    case Language::shell: return "shell";
    case Language::cmake: return "cmake";
    case Language::markdown: return "markdown";
    case Language::yaml: return "yaml";
    case Language::toml: return "toml";
    case Language::json: return "json";
  }
  return "";
}

Language detect_language(std::string_view path, std::string_view content) {
  const auto name = base_name(path);
  if (name == "CMakeLists.txt") return Language::cmake;
  const auto ext = extension(name);
  if (!ext.empty()) {
    const auto found =
        std::find_if(kExtensions.begin(), kExtensions.end(),
                     [&](const auto& entry) { return entry.first == ext; });
    if (found != kExtensions.end()) {
      if (found->second == Language::c && ext == "h" && looks_cpp(content)) {
        return Language::cpp;
      }
      return found->second;
    }
    // `X.cmake.in`, `config.h.in`: a template of the inner file, as cloc
    // reads it.
    if (ext == "in" && name.size() > 3) {
      const auto inner = extension(name.substr(0, name.size() - 3));
      if (!inner.empty() && inner != "in") {
        return detect_language(path.substr(0, path.size() - 3), content);
      }
    }
    // Any other extension is another language's or data: no sniffing
    // (cloc does none either), so a `.m4` or `.expected` file that quotes
    // C or JSON is not taken for it.
    return Language::unknown;
  }
  if (name == ".clang-format" || name == ".clang-tidy") return Language::yaml;
  if (std::find(kOtherNames.begin(), kOtherNames.end(), name) !=
          kOtherNames.end() ||
      name.starts_with("Makefile.")) {
    return Language::unknown;
  }
  if (const auto language = by_shebang(content);
      language != Language::unknown) {
    return language;
  }
  return by_content(content);
}

bool looks_binary(std::string_view content) {
  const auto head = content.substr(0, kSniffBytesMax);
  const auto* bytes = reinterpret_cast<const unsigned char*>(head.data());
  // Control bytes are those below a space other than \t \n \v \f \r
  // (9..13), and DEL. Counted without branches in blocks of a fixed size,
  // which the compiler turns into vector code at -O2; the tail goes byte
  // by byte through the same expression.
  auto control = [](unsigned char b) -> unsigned {
    return static_cast<unsigned>(b < 9) |
           static_cast<unsigned>(b >= 14 && b < 0x20) |
           static_cast<unsigned>(b == 0x7f);
  };
  constexpr std::size_t kBlockBytes = 64;
  std::size_t control_bytes = 0;
  std::size_t k = 0;
  for (; k + kBlockBytes <= head.size(); k += kBlockBytes) {
    unsigned block = 0;
    unsigned nul = 0;
    for (std::size_t j = 0; j < kBlockBytes; ++j) {
      block += control(bytes[k + j]);
      nul |= static_cast<unsigned>(bytes[k + j] == 0);
    }
    if (nul != 0) return true;
    control_bytes += block;
  }
  for (; k < head.size(); ++k) {
    if (bytes[k] == 0) return true;
    control_bytes += control(bytes[k]);
  }
  return control_bytes * 10 > head.size();
}

}  // namespace slurp::engine
