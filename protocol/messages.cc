#include "protocol/messages.h"

namespace slurp {

std::string_view enum_to_wire(Priority p) {
  switch (p) {
    case Priority::low: return "low";
    case Priority::normal: return "normal";
    case Priority::high: return "high";
    case Priority::critical: return "critical";
    case Priority::emergency: return "emergency";
  }
  return "normal";
}

bool enum_from_wire(std::string_view text, Priority& out) {
  for (Priority p : {Priority::low, Priority::normal, Priority::high,
                     Priority::critical, Priority::emergency}) {
    if (enum_to_wire(p) == text) {
      out = p;
      return true;
    }
  }
  return false;
}

}  // namespace slurp
