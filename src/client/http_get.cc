#include "src/client/http_get.h"

#include <civetweb.h>

#include <charconv>
#include <mutex>

namespace slurp::client {

Result<HttpAnswer> http_get(const std::string& address, const std::string& path,
                            std::chrono::milliseconds timeout) {
  static std::once_flag init;
  std::call_once(init, [] { mg_init_library(0); });
  const std::size_t colon = address.rfind(':');
  unsigned port = 0;
  std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const char* end = address.data() + address.size();
  if (host.empty() ||
      std::from_chars(address.data() + colon + 1, end, port).ptr != end ||
      port == 0 || port > 65535) {
    return make_error(ErrorCode::bad_request,
                      "not HOST:PORT: \"" + address + "\"", "address");
  }
  char error[256] = {};
  mg_connection* conn = mg_connect_client(host.c_str(), static_cast<int>(port),
                                          0, error, sizeof error);
  if (conn == nullptr) {
    return make_error(ErrorCode::unavailable,
                      "cannot connect to " + address + ": " + error);
  }
  mg_printf(conn, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path.c_str(),
            address.c_str());
  if (mg_get_response(conn, error, sizeof error,
                      static_cast<int>(timeout.count())) < 0) {
    mg_close_connection(conn);
    return make_error(ErrorCode::unavailable,
                      "no answer from " + address + path + ": " + error);
  }
  HttpAnswer answer;
  answer.status = mg_get_response_info(conn)->status_code;
  char buffer[4096];
  int n = 0;
  while (answer.body.size() < http_body_bytes_max &&
         (n = mg_read(conn, buffer, sizeof buffer)) > 0) {
    answer.body.append(buffer, static_cast<std::size_t>(n));
  }
  mg_close_connection(conn);
  return answer;
}

}  // namespace slurp::client
