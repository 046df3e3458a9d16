#include "protocol/result.h"

namespace slurp {

std::string Error::describe() const {
  std::string text(error_name(code));
  if (!field.empty()) {
    text += ": ";
    text += field;
  }
  if (!reason.empty()) {
    text += ": ";
    text += reason;
  }
  return text;
}

}  // namespace slurp
