// Columns padded to their widest cell, two spaces apart: how slurpctl
// prints every table. Main thread.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace slurpctl {

using Table = std::vector<std::vector<std::string>>;

void print_table(std::ostream& out, const Table& rows);

// "1.2k", "3.4M": counts that fit a column.
std::string short_count(double n);

}  // namespace slurpctl
