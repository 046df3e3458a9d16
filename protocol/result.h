// Operating errors travel as values: every fallible call that touches input
// from outside returns Result<T>, and the caller checks it. Programmer errors
// (a broken invariant) are asserts instead. Any thread may use these types.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "protocol/error_code.h"

namespace slurp {

// An error with a stable code, the field it concerns ("" when the whole
// input is at fault, a path such as "entries[3].term" otherwise) and a
// sentence for humans.
struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string field;
  std::string reason;

  // "bad_request: entries[3].term: expected an unsigned integer"
  std::string describe() const;
};

inline Error make_error(ErrorCode code, std::string reason,
                        std::string field = {}) {
  return Error{code, std::move(field), std::move(reason)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

// Result of an operation with no value.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() {
  return Ok{};
}

}  // namespace slurp
