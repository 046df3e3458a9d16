// A small JSON writer for the tools' --json output: one compact document
// (no spaces, no newline), so scripts can grep it as well as parse it.
// Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are
// written as U+FFFD so the output always parses.
//
// Usage: w.begin_object().key("n").value(1).end_object(); w.str().
// Plain data; one thread at a time. Misuse (a value without a key inside
// an object, unbalanced ends) is a programmer error and asserts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slurp::client {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(std::uint64_t number);
  JsonWriter& value(bool flag);
  JsonWriter& value(double number);
  JsonWriter& null();

  // The document so far; complete once every begin has its end.
  const std::string& str() const { return out_; }

 private:
  struct Level {
    bool object = false;
    bool empty = true;
    bool after_key = false;
  };
  void before_value();
  void write_string(std::string_view text);

  std::string out_;
  std::vector<Level> levels_;
};

}  // namespace slurp::client
