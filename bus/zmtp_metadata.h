// The ZMTP 3.0 metadata encoding (RFC 23/ZMTP "metadata", reused by RFC 27
// for the ZAP reply's metadata frame):
//   metadata = *property
//   property = name-length name value-length value
//   name-length = 1 octet (1..255), value-length = 4 octets, network order
// libzmq stores the properties of a ZAP reply with the connection, and every
// message received on it answers zmq_msg_gets(msg, name) with the value.
// Pure functions; any thread may call them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slurp::bus {

using MetadataProperty = std::pair<std::string, std::string>;

// Names must be 1..255 bytes (asserted: callers pass constants).
std::string encode_zmtp_metadata(
    const std::vector<MetadataProperty>& properties);

// nullopt when the bytes are not a well-formed property list.
std::optional<std::vector<MetadataProperty>> decode_zmtp_metadata(
    std::string_view bytes);

}  // namespace slurp::bus
