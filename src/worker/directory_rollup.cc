#include "src/worker/directory_rollup.h"

#include <algorithm>
#include <cstdio>
#include <map>

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
  context.summary =
      readme_summary.empty() ? summary : readme_summary + " — " + summary;
  context.purpose = readme_summary;
  context.imports = job.depends_on;  // the children, for navigation
  context.confidence = readme_summary.empty() ? 0.5 : 0.6;
}

}  // namespace slurp::worker
