#include "src/config/listen_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace slurp::config {

namespace {

constexpr std::string_view kForm =
    "must be HOST:PORT with HOST an IP address (\"127.0.0.1:9101\", "
    "\"[::1]:9101\", \"0.0.0.0:9101\") and PORT 1..65535";

bool is_ipv4(const std::string& host) {
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr a{};
  return inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

}  // namespace

std::string ListenAddress::text() const {
  const std::string h = ipv6 ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

bool ListenAddress::any_interface() const {
  return host == "0.0.0.0" || host == "::";
}

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  ListenAddress out;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    out.host = std::string(host.substr(1, host.size() - 2));
    out.ipv6 = true;
    if (!is_ipv6(out.host)) return std::nullopt;
  } else {
    out.host = std::string(host);
    if (!is_ipv4(out.host)) return std::nullopt;
  }
  unsigned port = 0;
  const char* end = port_text.data() + port_text.size();
  auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || ec != std::errc() || ptr != end || port == 0 ||
      port > 65535) {
    return std::nullopt;
  }
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

std::optional<std::string> listen_address_problem(std::string_view text) {
  if (parse_listen_address(text)) return std::nullopt;
  return std::string(kForm) + " (got \"" + std::string(text.substr(0, 80)) +
         "\")";
}

}  // namespace slurp::config
