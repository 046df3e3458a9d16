// libFuzzer target for parse_ucxl (protocol/UCXL.md). Beyond "no crash, no
// sanitizer report" it checks the canonical-form laws on every accepted
// input: the canonical form re-parses to an equal address, and formatting
// is idempotent. A broken law is a bug, so it aborts (libFuzzer then saves
// the input) rather than reporting through a test framework.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/limits.h"
#include "protocol/ucxl_address.h"

namespace {

[[noreturn]] void fail(const char* law, std::string_view input) {
  std::fprintf(stderr, "fuzz_ucxl: %s broken for input of %zu bytes\n", law,
               input.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const slurp::Result<slurp::UcxlAddress> first = slurp::parse_ucxl(input);
  if (!first) {
    if (first.error().field.empty()) fail("error names a field", input);
    return 0;
  }
  const std::string canonical = first->to_string();
  if (canonical.size() > slurp::limits::ucxl_address_bytes_max) {
    fail("canonical form within the limit", input);
  }
  const slurp::Result<slurp::UcxlAddress> second = slurp::parse_ucxl(canonical);
  if (!second) fail("canonical form re-parses", input);
  if (!(*second == *first)) fail("re-parse equals the original", input);
  if (second->to_string() != canonical) fail("to_string idempotent", input);
  return 0;
}
