#include "src/node/resident_memory.h"

#include <unistd.h>

#include <cstdio>

namespace slurp::node {

std::uint64_t resident_bytes() {
  // statm: size resident shared text lib data dt, in pages.
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  unsigned long long size_pages = 0, resident_pages = 0;
  const int read =
      std::fscanf(statm, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(statm);
  const long page_bytes = ::sysconf(_SC_PAGESIZE);
  if (read != 2 || page_bytes <= 0) return 0;
  return static_cast<std::uint64_t>(resident_pages) *
         static_cast<std::uint64_t>(page_bytes);
}

}  // namespace slurp::node
