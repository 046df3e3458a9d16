// Every error code has a human message (src/client/error_advice.h).
#include "src/client/error_advice.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

namespace slurp::client {
namespace {

TEST_CASE("every error code has its own advice", "[advice]") {
  std::set<std::string_view> seen;
  for (ErrorCode code : kAllErrorCodes) {
    INFO(error_name(code));
    const std::string_view advice = error_advice(code);
    CHECK(advice.size() > 40);           // a sentence, not a word
    CHECK(advice.find("unknown") != 0);  // not the fallback
    CHECK(seen.insert(advice).second);   // not shared with another
  }
}

TEST_CASE("the advice says what to do for each code", "[advice]") {
  // One check per code: the action a person would take.
  CHECK(error_advice(ErrorCode::bad_request).find("ucxl://") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::unauthenticated).find("authorized-keys") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::forbidden).find("role") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::not_found).find("export") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::conflict).find("watch") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::not_leader).find("--config") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::no_quorum).find("--stale") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::queue_full).find("queue_depth_max") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::too_large).find("by path") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::unsupported_version).find("version") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::timeout).find("--timeout-ms") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::internal).find("log") !=
        std::string_view::npos);
  CHECK(error_advice(ErrorCode::unavailable).find("retry") !=
        std::string_view::npos);
}

}  // namespace
}  // namespace slurp::client
