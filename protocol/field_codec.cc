#include "protocol/field_codec.h"

#include <cmath>
#include <limits>

#include "protocol/printable.h"

namespace slurp {

void write_value(Packer& pk, bool v) {
  pk.pack(v);
}
void write_value(Packer& pk, std::uint64_t v) {
  pk.pack(v);
}
void write_value(Packer& pk, double v) {
  pk.pack_double(v);
}
void write_value(Packer& pk, const std::string& v) {
  pk.pack(v);
}
void write_value(Packer& pk, const Bytes& v) {
  pk.pack_bin(static_cast<std::uint32_t>(v.size()));
  pk.pack_bin_body(reinterpret_cast<const char*>(v.data()),
                   static_cast<std::uint32_t>(v.size()));
}
void write_value(Packer& pk, const Attributes& v) {
  pk.pack_map(static_cast<std::uint32_t>(v.size()));
  for (const auto& [key, value] : v) {
    pk.pack(key);
    pk.pack(value);
  }
}

std::string_view wire_type_name(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "bool";
    case msgpack::type::POSITIVE_INTEGER: return "unsigned integer";
    case msgpack::type::NEGATIVE_INTEGER: return "negative integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "float";
    case msgpack::type::STR: return "str";
    case msgpack::type::BIN: return "bin";
    case msgpack::type::ARRAY: return "array";
    case msgpack::type::MAP: return "map";
    case msgpack::type::EXT: return "ext";
  }
  return "unknown";
}

Error wrong_type(const msgpack::object& o, std::string_view expected,
                 const std::string& path) {
  return make_error(ErrorCode::bad_request,
                    "expected " + std::string(expected) + ", got " +
                        std::string(wire_type_name(o)),
                    path);
}

Status read_value(const msgpack::object& o, bool& out,
                  const std::string& path) {
  if (o.type != msgpack::type::BOOLEAN) return wrong_type(o, "bool", path);
  out = o.via.boolean;
  return ok_status();
}

Status read_value(const msgpack::object& o, std::uint64_t& out,
                  const std::string& path) {
  if (o.type != msgpack::type::POSITIVE_INTEGER) {
    return wrong_type(o, "unsigned integer", path);
  }
  out = o.via.u64;
  return ok_status();
}

Status read_value(const msgpack::object& o, double& out,
                  const std::string& path) {
  // Integers are accepted where a float is expected: some encoders write
  // 1.0 as 1.
  switch (o.type) {
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      // NaN and infinities are refused: no field has a use for them, and
      // NaN != NaN would make two equal messages compare unequal (found by
      // fuzz_decode's round-trip check).
      if (!std::isfinite(o.via.f64)) {
        return make_error(ErrorCode::bad_request, "float must be finite", path);
      }
      out = o.via.f64;
      return ok_status();
    case msgpack::type::POSITIVE_INTEGER:
      out = static_cast<double>(o.via.u64);
      return ok_status();
    case msgpack::type::NEGATIVE_INTEGER:
      out = static_cast<double>(o.via.i64);
      return ok_status();
    default: return wrong_type(o, "float", path);
  }
}

Status read_value(const msgpack::object& o, std::string& out,
                  const std::string& path) {
  if (o.type != msgpack::type::STR) return wrong_type(o, "str", path);
  out.assign(o.via.str.ptr, o.via.str.size);
  return ok_status();
}

Status read_value(const msgpack::object& o, Bytes& out,
                  const std::string& path) {
  if (o.type != msgpack::type::BIN) return wrong_type(o, "bin", path);
  const auto* p = reinterpret_cast<const std::uint8_t*>(o.via.bin.ptr);
  out.assign(p, p + o.via.bin.size);
  return ok_status();
}

Status read_value(const msgpack::object& o, Attributes& out,
                  const std::string& path) {
  if (o.type != msgpack::type::MAP) return wrong_type(o, "map", path);
  out.clear();
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object_kv& kv = o.via.map.ptr[i];
    std::string key;
    std::string value;
    if (Status s = read_value(kv.key, key, path + " key"); !s) return s;
    if (Status s = read_value(kv.val, value, path + "." + key); !s) return s;
    if (!out.emplace(std::move(key), std::move(value)).second) {
      return make_error(ErrorCode::bad_request, "duplicate key", path);
    }
  }
  return ok_status();
}

namespace {

bool is_utf8(const msgpack::object& str) {
  return is_valid_utf8(std::string_view(str.via.str.ptr, str.via.str.size));
}

// `path` is a buffer the walk appends to and cuts back, so that a message
// of many small strings costs no allocation per string. Depth is bounded
// by the decoder's limits (msgpack_depth_max).
Status check_utf8_at(const msgpack::object& o, std::string& path) {
  const std::size_t base = path.size();
  if (o.type == msgpack::type::STR) {
    if (is_utf8(o)) return ok_status();
    return make_error(ErrorCode::bad_request, "str is not valid UTF-8", path);
  }
  if (o.type == msgpack::type::ARRAY) {
    for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
      path += "[" + std::to_string(i) + "]";
      if (Status s = check_utf8_at(o.via.array.ptr[i], path); !s) return s;
      path.resize(base);
    }
  } else if (o.type == msgpack::type::MAP) {
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
      const msgpack::object_kv& kv = o.via.map.ptr[i];
      // A key that is not a str is FieldReader::index's to refuse.
      if (kv.key.type == msgpack::type::STR) {
        if (kv.key.via.str.size > limits::field_name_bytes_max) {
          return make_error(ErrorCode::too_large, "field name too long", path);
        }
        if (!is_utf8(kv.key)) {
          return make_error(ErrorCode::bad_request,
                            "a field name is not valid UTF-8", path);
        }
        if (!path.empty()) path += '.';
        path.append(kv.key.via.str.ptr, kv.key.via.str.size);
      }
      if (Status s = check_utf8_at(kv.val, path); !s) return s;
      path.resize(base);
    }
  }
  return ok_status();
}

}  // namespace

Status check_utf8_strings(const msgpack::object& o) {
  std::string path;
  return check_utf8_at(o, path);
}

FieldReader::FieldReader(const msgpack::object_map& map, std::string prefix)
    : map_(map), prefix_(std::move(prefix)) {}

Status FieldReader::index() {
  // Maps are small (<= msgpack_map_entries_max), so a quadratic duplicate
  // check costs less than building a set.
  for (std::uint32_t i = 0; i < map_.size; ++i) {
    const msgpack::object& key = map_.ptr[i].key;
    if (key.type != msgpack::type::STR) {
      return make_error(
          ErrorCode::bad_request,
          "field names must be str, got " + std::string(wire_type_name(key)),
          prefix_);
    }
    std::string_view name(key.via.str.ptr, key.via.str.size);
    if (name.size() > limits::field_name_bytes_max) {
      return make_error(ErrorCode::too_large, "field name too long", prefix_);
    }
    for (std::uint32_t j = 0; j < i; ++j) {
      const msgpack::object& other = map_.ptr[j].key;
      if (std::string_view(other.via.str.ptr, other.via.str.size) == name) {
        return make_error(ErrorCode::bad_request, "duplicate field",
                          prefix_ + std::string(name));
      }
    }
  }
  return ok_status();
}

const msgpack::object* FieldReader::find(std::string_view name) const {
  for (std::uint32_t i = 0; i < map_.size; ++i) {
    const msgpack::object& key = map_.ptr[i].key;
    if (std::string_view(key.via.str.ptr, key.via.str.size) == name) {
      return &map_.ptr[i].val;
    }
  }
  return nullptr;
}

}  // namespace slurp
