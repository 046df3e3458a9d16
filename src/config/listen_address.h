// A listener's address as cluster.toml writes it: "HOST:PORT" with HOST an
// IPv4 literal ("127.0.0.1", "0.0.0.0") or a bracketed IPv6 literal
// ("[::1]:9101"). The host is required, so a listener is never open to
// every interface unless the file says so (docs/CONFIG.md, "metrics").
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slurp::config {

struct ListenAddress {
  std::string host;  // without brackets
  std::uint16_t port = 0;
  bool ipv6 = false;

  // "127.0.0.1:9101" or "[::1]:9101", as civetweb's listening_ports takes.
  std::string text() const;
  // True for 0.0.0.0 and ::, which bind every interface.
  bool any_interface() const;
};

// nullopt and a reason ("must be HOST:PORT ...") when `text` is not one.
// Port 0 is refused: a scraper must know where to look.
std::optional<std::string> listen_address_problem(std::string_view text);
// The parsed address; nullopt when listen_address_problem names a problem.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace slurp::config
