#include "src/worker/directory_rollup.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include "protocol/ucxl_address.h"

namespace slurp::worker {
namespace {

std::string base_name(const std::string& address) {
  std::string path = address;
  if (auto parsed = parse_ucxl(address)) path = parsed->path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool has_tag(const Context& c, std::string_view tag) {
  return std::find(c.tags.begin(), c.tags.end(), tag) != c.tags.end();
}

bool is_readme(const std::string& name) {
  std::string lower;
  for (char ch : name) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return lower.starts_with("readme");
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  char buffer[16];
  std::snprintf(
      buffer, sizeof buffer, "%.0f%%",
      whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole)
            : 0.0);
  return buffer;
}

std::string stem(const std::string& name) {
  return name.substr(0, name.find('.'));
}

bool is_header(const std::string& name) {
  return name.ends_with(".h") || name.ends_with(".hpp") ||
         name.ends_with(".hh") || name.ends_with(".hxx");
}

// What the children say they do, best first: the file named after the
// directory, headers (they say what a module offers), then by size.
std::vector<std::string> descriptions(const Job& job,
                                      const std::string& directory) {
  std::vector<const Context*> described;
  for (const Context& child : job.dependencies) {
    const bool own_words = child.language == "directory"
                               ? !child.purpose.empty()
                               : child.confidence >= kDescribedConfidence;
    if (own_words && !child.summary.empty()) described.push_back(&child);
  }
  const auto rank = [&](const Context* c) {
    const std::string name = base_name(c->address);
    return std::tuple{stem(name) != directory, !is_header(name),
                      c->language == "directory", ~c->metrics.lines_code};
  };
  std::stable_sort(
      described.begin(), described.end(),
      [&](const Context* a, const Context* b) { return rank(a) < rank(b); });
  std::vector<std::string> out;
  for (const Context* c : described) {
    const std::string& text =
        c->language == "directory" ? c->purpose : c->summary;
    if (std::find(out.begin(), out.end(), text) != out.end()) continue;
    out.push_back(text);
    if (out.size() == kRollupDescriptionsMax) break;
  }
  return out;
}

}  // namespace

void roll_up_directory(const Job& job, Context& context) {
  std::map<std::string, LanguageShare> languages;
  std::map<std::string, std::size_t> technologies;  // name -> children
  std::vector<std::string> entry_points;
  std::string readme_summary;
  std::size_t files = 0, directories = 0;
  for (const Context& child : job.dependencies) {
    const bool directory = child.language == "directory";
    directory ? ++directories : ++files;
    context.metrics.lines_code += child.metrics.lines_code;
    context.metrics.lines_comment += child.metrics.lines_comment;
    context.metrics.lines_blank += child.metrics.lines_blank;
    context.metrics.bytes += child.metrics.bytes;
    // An engine that fills no shares still counts its file once.
    std::vector<LanguageShare> shares = child.languages;
    if (shares.empty() && !directory && !child.language.empty()) {
      shares.push_back({child.language, 1, child.metrics.lines_code});
    }
    for (const LanguageShare& share : shares) {
      LanguageShare& sum = languages[share.language];
      sum.language = share.language;
      sum.files += share.files;
      sum.lines_code += share.lines_code;
    }
    for (const std::string& t : child.technologies) ++technologies[t];
    const std::string name = base_name(child.address);
    if (has_tag(child, "entry_point") && !directory &&
        entry_points.size() < kRollupEntryPointsMax) {
      entry_points.push_back(name);
    }
    if (readme_summary.empty() && !directory && is_readme(name)) {
      readme_summary = child.summary;
    }
  }

  // Most lines first; by files for languages without code lines (docs).
  for (auto& [name, share] : languages) context.languages.push_back(share);
  std::sort(context.languages.begin(), context.languages.end(),
            [](const LanguageShare& a, const LanguageShare& b) {
              if (a.lines_code != b.lines_code) {
                return a.lines_code > b.lines_code;
              }
              if (a.files != b.files) return a.files > b.files;
              return a.language < b.language;
            });
  std::vector<std::pair<std::string, std::size_t>> ranked(technologies.begin(),
                                                          technologies.end());
  std::stable_sort(
      ranked.begin(), ranked.end(),
      [](const auto& a, const auto& b) { return a.second > b.second; });
  for (std::size_t i = 0; i < ranked.size() && i < kRollupTechnologiesMax;
       ++i) {
    context.technologies.push_back(ranked[i].first);
  }

  context.language = "directory";
  context.tags = {"directory"};
  const std::string name = base_name(job.address);
  if (name.find("test") != std::string::npos) context.tags.push_back("test");
  if (!entry_points.empty()) context.tags.push_back("entry_point");
  // What it holds, as one line a person reads at a glance.
  std::string summary = std::to_string(files) + " file" +
                        (files == 1 ? "" : "s") + ", " +
                        std::to_string(directories) + " director" +
                        (directories == 1 ? "y" : "ies");
  std::uint64_t total_lines = 0;
  for (const LanguageShare& l : context.languages) total_lines += l.lines_code;
  if (total_lines > 0) {
    summary += "; ";
    std::size_t shown = 0;
    for (const LanguageShare& l : context.languages) {
      if (l.lines_code == 0 || shown == kRollupLanguagesInSummaryMax) break;
      summary += (shown++ ? ", " : "") + l.language + " " +
                 percent(l.lines_code, total_lines);
    }
    summary += " of " + std::to_string(total_lines) + " lines of code";
  }
  if (!context.technologies.empty()) {
    summary += "; uses ";
    for (std::size_t i = 0; i < context.technologies.size() && i < 3; ++i) {
      summary += (i ? ", " : "") + context.technologies[i];
    }
  }
  if (!entry_points.empty()) {
    summary += "; entry points: ";
    for (std::size_t i = 0; i < entry_points.size(); ++i) {
      summary += (i ? ", " : "") + entry_points[i];
    }
  }
  const std::size_t missing =
      job.depends_on.size() > job.dependencies.size()
          ? job.depends_on.size() - job.dependencies.size()
          : 0;
  if (missing > 0) {
    summary += " (" + std::to_string(missing) + " without a context";
    if (!job.failed_dependencies.empty()) {
      summary += ": " + base_name(job.failed_dependencies.front());
      if (job.failed_dependencies.size() > 1) summary += ", ...";
    }
    summary += ")";
  }
  // A README says what the directory is for; without one, its files do.
  std::string purpose = readme_summary;
  std::string described;
  const std::vector<std::string> said = descriptions(job, name);
  for (std::size_t i = 0; i < said.size(); ++i) {
    if (i == 0 && purpose.empty()) {
      purpose = said[0];
      continue;
    }
    if (said[i] == purpose) continue;
    // Sentences follow each other; fragments take a semicolon.
    const bool sentence = described.ends_with('.');
    described += (described.empty() ? " Also: "
                  : sentence        ? " "
                                    : "; ") +
                 said[i];
  }
  context.summary =
      purpose.empty() ? summary : purpose + described + " — " + summary;
  context.purpose = purpose;
  context.imports = job.depends_on;  // the children, for navigation
  context.confidence = purpose.empty() ? 0.5 : 0.6;
}

}  // namespace slurp::worker
