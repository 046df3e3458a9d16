#include "bus/zmtp_metadata.h"

#include <cassert>
#include <cstdint>

namespace slurp::bus {

std::string encode_zmtp_metadata(
    const std::vector<MetadataProperty>& properties) {
  std::string out;
  for (const auto& [name, value] : properties) {
    assert(!name.empty() && name.size() <= 255);
    assert(value.size() <= UINT32_MAX);
    out += static_cast<char>(static_cast<std::uint8_t>(name.size()));
    out += name;
    auto length = static_cast<std::uint32_t>(value.size());
    for (int shift = 24; shift >= 0; shift -= 8) {
      out += static_cast<char>(static_cast<std::uint8_t>(length >> shift));
    }
    out += value;
  }
  return out;
}

std::optional<std::vector<MetadataProperty>> decode_zmtp_metadata(
    std::string_view bytes) {
  std::vector<MetadataProperty> properties;
  while (!bytes.empty()) {
    std::size_t name_length = static_cast<std::uint8_t>(bytes[0]);
    if (name_length == 0 || bytes.size() < 1 + name_length + 4) {
      return std::nullopt;
    }
    std::string name(bytes.substr(1, name_length));
    bytes.remove_prefix(1 + name_length);
    std::uint32_t value_length = 0;
    for (int i = 0; i < 4; ++i) {
      value_length =
          (value_length << 8) |
          static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(i)]);
    }
    bytes.remove_prefix(4);
    if (bytes.size() < value_length) return std::nullopt;
    properties.emplace_back(std::move(name),
                            std::string(bytes.substr(0, value_length)));
    bytes.remove_prefix(value_length);
  }
  return properties;
}

}  // namespace slurp::bus
