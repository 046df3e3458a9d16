#include "bus/zap_properties.h"

#include <sodium.h>

#include <cassert>

namespace slurp::bus {

const std::string& zap_vouch_token() {
  // A function-local static is initialized once, thread-safely.
  static const std::string token = [] {
    [[maybe_unused]] int initialized = sodium_init();
    assert(initialized >= 0);
    unsigned char bytes[16];
    randombytes_buf(bytes, sizeof bytes);
    char hex[2 * sizeof bytes + 1];
    sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
    return std::string(hex);
  }();
  return token;
}

}  // namespace slurp::bus
