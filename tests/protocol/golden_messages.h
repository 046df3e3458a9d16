// One fully populated example of every message type, by vector name.
// protocol/testdata/<name>.hex holds the bytes each must encode to.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "protocol/messages.h"

namespace slurp::testing {

std::vector<std::pair<std::string, Message>> golden_messages();

}  // namespace slurp::testing
