// What a person can do about each error code: the line slurpctl prints
// under an error, and what any tool built on the client library may show.
// Every code has one (tests/client/error_advice_test.cc checks). Pure; any
// thread.
#pragma once

#include <string_view>

#include "protocol/error_code.h"

namespace slurp::client {

std::string_view error_advice(ErrorCode code);

}  // namespace slurp::client
