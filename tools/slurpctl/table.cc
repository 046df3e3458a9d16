#include "tools/slurpctl/table.h"

#include <algorithm>
#include <cstdio>

namespace slurpctl {

void print_table(std::ostream& out, const Table& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line += std::string(widths[i] - row[i].size() + 2, ' ');
      }
    }
    out << line << "\n";
  }
}

std::string short_count(double n) {
  char buffer[32];
  if (n >= 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.1fM", n / 1e6);
  } else if (n >= 1e4) {
    std::snprintf(buffer, sizeof buffer, "%.1fk", n / 1e3);
  } else if (n == static_cast<double>(static_cast<long long>(n))) {
    std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(n));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f", n);
  }
  return buffer;
}

}  // namespace slurpctl
