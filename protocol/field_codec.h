// The field visitors that turn message structs into msgpack maps and back.
//
// Every message and nested record declares its fields once, in a member
//   template <class V> void fields(V& v) { v.req("id", id); ... }
// and the same list drives counting, packing and validated reading, so the
// encoder and decoder cannot drift apart. Three kinds of field:
//   req(name, x)  required: always written; missing on read is bad_request.
//   opt(name, x)  std::optional: written only when set; may be missing.
//   def(name, x)  defaulted: always written; missing on read keeps default.
// Unknown keys are ignored on read (forward compatibility). Field order on
// the wire is declaration order, which makes encoding deterministic.
// Pure code; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <msgpack.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "protocol/limits.h"
#include "protocol/result.h"

namespace slurp {

using Bytes = std::vector<std::uint8_t>;                // wire: bin
using Attributes = std::map<std::string, std::string>;  // wire: map str→str

using Packer = msgpack::packer<msgpack::sbuffer>;

// Wire enums are strings; each enum provides these two overloads.
template <class T>
concept WireEnum = std::is_enum_v<T> && requires(T e, std::string_view s) {
  { enum_to_wire(e) } -> std::convertible_to<std::string_view>;
  { enum_from_wire(s, e) } -> std::same_as<bool>;
};

class FieldCounter;
template <class T>
concept Record = requires(T& t, FieldCounter& c) {
  t.fields(c);
};

// ---- writing ---------------------------------------------------------------

void write_value(Packer& pk, bool v);
void write_value(Packer& pk, std::uint64_t v);
void write_value(Packer& pk, double v);
void write_value(Packer& pk, const std::string& v);
void write_value(Packer& pk, const Bytes& v);
void write_value(Packer& pk, const Attributes& v);
template <WireEnum E>
void write_value(Packer& pk, E v) {
  write_value(pk, std::string(enum_to_wire(v)));
}
template <Record R>
void write_record(Packer& pk, const R& r);
template <Record R>
void write_value(Packer& pk, const R& r) {
  write_record(pk, r);
}
template <class T>
void write_value(Packer& pk, const std::vector<T>& items) {
  pk.pack_array(static_cast<std::uint32_t>(items.size()));
  for (const T& item : items) write_value(pk, item);
}

class FieldCounter {
 public:
  template <class T>
  void req(const char*, const T&) {
    ++count;
  }
  template <class T>
  void def(const char*, const T&) {
    ++count;
  }
  template <class T>
  void opt(const char*, const std::optional<T>& v) {
    if (v) ++count;
  }
  std::uint32_t count = 0;
};

class FieldPacker {
 public:
  explicit FieldPacker(Packer& pk) : pk_(pk) {}
  template <class T>
  void req(const char* name, const T& v) {
    put(name, v);
  }
  template <class T>
  void def(const char* name, const T& v) {
    put(name, v);
  }
  template <class T>
  void opt(const char* name, const std::optional<T>& v) {
    if (v) put(name, *v);
  }

 private:
  template <class T>
  void put(const char* name, const T& v) {
    pk_.pack(std::string_view(name));
    write_value(pk_, v);
  }
  Packer& pk_;
};

// fields() is non-const so one declaration serves reading too; the counter
// and packer only read, so casting const away here modifies nothing.
template <Record R>
void write_record(Packer& pk, const R& r) {
  R& fields_of = const_cast<R&>(r);
  FieldCounter counter;
  fields_of.fields(counter);
  pk.pack_map(counter.count);
  FieldPacker packer(pk);
  fields_of.fields(packer);
}

// ---- reading ---------------------------------------------------------------

// Every str in the tree, map keys included, is well-formed UTF-8, as the
// protocol's `str` type promises: bad_request naming the first field that
// is not ("context.summary", "depends_on[2]"). decode() runs it on every
// message from the wire, so nothing invalid is stored, replicated or
// echoed (a Python client's decoder refuses such strings). Records the
// state machine reads back (log commands, snapshots) are not checked: they
// were checked on their way in, and refusing an old one would change what
// replaying a log gives.
Status check_utf8_strings(const msgpack::object& o);

// Names the msgpack type of `o` for error messages ("str", "array", ...).
std::string_view wire_type_name(const msgpack::object& o);
Error wrong_type(const msgpack::object& o, std::string_view expected,
                 const std::string& path);

Status read_value(const msgpack::object& o, bool& out, const std::string& path);
Status read_value(const msgpack::object& o, std::uint64_t& out,
                  const std::string& path);
Status read_value(const msgpack::object& o, double& out,
                  const std::string& path);
Status read_value(const msgpack::object& o, std::string& out,
                  const std::string& path);
Status read_value(const msgpack::object& o, Bytes& out,
                  const std::string& path);
Status read_value(const msgpack::object& o, Attributes& out,
                  const std::string& path);

template <WireEnum E>
Status read_value(const msgpack::object& o, E& out, const std::string& path) {
  std::string text;
  if (Status s = read_value(o, text, path); !s) return s;
  if (!enum_from_wire(text, out)) {
    return make_error(ErrorCode::bad_request, "unknown value '" + text + "'",
                      path);
  }
  return ok_status();
}

template <Record R>
Status read_record(const msgpack::object& o, R& out, const std::string& path);
template <Record R>
Status read_value(const msgpack::object& o, R& out, const std::string& path) {
  return read_record(o, out, path);
}

template <class T>
Status read_value(const msgpack::object& o, std::vector<T>& out,
                  const std::string& path) {
  if (o.type != msgpack::type::ARRAY) return wrong_type(o, "array", path);
  out.clear();
  // Size was bounded by scan_msgpack before the tree was built.
  out.resize(o.via.array.size);
  for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
    Status s = read_value(o.via.array.ptr[i], out[i],
                          path + "[" + std::to_string(i) + "]");
    if (!s) return s;
  }
  return ok_status();
}

// Reads the fields of one msgpack map; keeps the first error.
class FieldReader {
 public:
  // `prefix` is the path of this record ("" at top level, "jobs[2]." inside).
  FieldReader(const msgpack::object_map& map, std::string prefix);

  // Checks that keys are short strings and unique. Call before visiting.
  Status index();

  template <class T>
  void req(const char* name, T& out) {
    if (!status_) return;
    const msgpack::object* o = find(name);
    if (!o) {
      status_ = make_error(ErrorCode::bad_request, "required field missing",
                           prefix_ + name);
      return;
    }
    status_ = read_value(*o, out, prefix_ + name);
  }
  template <class T>
  void def(const char* name, T& out) {
    if (!status_) return;
    if (const msgpack::object* o = find(name)) {
      status_ = read_value(*o, out, prefix_ + name);
    }
  }
  template <class T>
  void opt(const char* name, std::optional<T>& out) {
    if (!status_) return;
    out.reset();
    // nil counts as absent: some clients write null for "not set".
    const msgpack::object* o = find(name);
    if (!o || o->type == msgpack::type::NIL) return;
    status_ = read_value(*o, out.emplace(), prefix_ + name);
  }

  const Status& status() const { return status_; }

 private:
  const msgpack::object* find(std::string_view name) const;

  const msgpack::object_map& map_;
  std::string prefix_;
  Status status_ = ok_status();
};

template <Record R>
Status read_record(const msgpack::object& o, R& out, const std::string& path) {
  if (o.type != msgpack::type::MAP) return wrong_type(o, "map", path);
  FieldReader reader(o.via.map, path.empty() ? path : path + ".");
  if (Status s = reader.index(); !s) return s;
  out.fields(reader);
  return reader.status();
}

}  // namespace slurp
