// Fuzzes the payload-frame decoder: any bytes must give a Message or a typed
// error, and a decoded Message must re-encode to bytes that decode to itself.
#include <cstdint>
#include <cstdlib>

#include "protocol/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  auto decoded = slurp::decode(std::span<const std::uint8_t>(data, size));
  if (!decoded.ok()) {
    if (decoded.error().reason.empty()) std::abort();  // errors must explain
    return 0;
  }
  std::string again = slurp::encode(*decoded);
  auto round = slurp::decode(again);
  if (!round.ok() || !(*round == *decoded)) std::abort();
  return 0;
}
