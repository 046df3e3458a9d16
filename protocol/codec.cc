#include "protocol/codec.h"

#include <exception>
#include <utility>

#include "protocol/limits.h"
#include "protocol/printable.h"
#include "protocol/record_codec.h"

namespace slurp {
namespace {

msgpack::unpack_limit tree_limits(const MsgpackLimits& l) {
  // depth_max + 1: msgpack-cxx counts the top level, the scanner does not.
  return msgpack::unpack_limit(l.array_items_max, l.map_entries_max,
                               l.string_bytes_max, l.bin_bytes_max, 0,
                               l.depth_max + 1);
}

struct Envelope {
  std::uint64_t v = 0;
  std::string type;
  template <class V>
  void fields(V& visitor) {
    visitor.req("v", v);
    visitor.req("type", type);
  }
};

template <std::size_t I = 0>
Result<Message> decode_as(std::string_view type, const msgpack::object& obj) {
  if constexpr (I == std::variant_size_v<Message>) {
    return make_error(ErrorCode::bad_request,
                      "unknown message type '" + std::string(type) + "'",
                      "type");
  } else {
    using T = std::variant_alternative_t<I, Message>;
    if (type != T::kType) return decode_as<I + 1>(type, obj);
    T message;
    if (Status s = read_record(obj, message, ""); !s) return s.error();
    return Message(std::move(message));
  }
}

}  // namespace

// Unpacks bytes after scan_msgpack accepted them. msgpack-cxx reports
// limits by exception; none should fire after the scan, but an exception
// must never escape into an event loop, so it becomes a typed error.
Result<msgpack::object_handle> unpack_checked(std::span<const std::uint8_t> b,
                                              const MsgpackLimits& limits) {
  if (Status s = scan_msgpack(b, limits); !s) return s.error();
  try {
    return msgpack::unpack(reinterpret_cast<const char*>(b.data()), b.size(),
                           nullptr, nullptr, tree_limits(limits));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::bad_request,
                      std::string("msgpack: ") + e.what());
  }
}

std::string_view message_type(const Message& message) {
  return std::visit(
      [](const auto& m) { return std::decay_t<decltype(m)>::kType; }, message);
}

std::string encode(const Message& message) {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        T& fields_of = const_cast<T&>(m);  // visitors below only read
        FieldCounter counter;
        fields_of.fields(counter);
        pk.pack_map(counter.count + 2);
        pk.pack(std::string_view("v"));
        pk.pack(kProtocolVersion);
        pk.pack(std::string_view("type"));
        pk.pack(T::kType);
        FieldPacker packer(pk);
        fields_of.fields(packer);
      },
      message);
  return std::string(buffer.data(), buffer.size());
}

Result<Message> decode(std::span<const std::uint8_t> bytes,
                       const MsgpackLimits& limits) {
  auto handle = unpack_checked(bytes, limits);
  if (!handle) return handle.error();
  const msgpack::object& obj = handle->get();
  if (obj.type != msgpack::type::MAP) return wrong_type(obj, "map", "");
  Envelope envelope;
  FieldReader reader(obj.via.map, "");
  if (Status s = reader.index(); !s) return s.error();
  reader.req("v", envelope.v);
  if (!reader.status()) return reader.status().error();
  if (envelope.v != kProtocolVersion) {
    return make_error(ErrorCode::unsupported_version,
                      "version " + std::to_string(envelope.v) +
                          " is not supported; this node speaks v" +
                          std::to_string(kProtocolVersion),
                      "v");
  }
  // Before any field is read, so no reply or event can echo invalid text.
  if (Status s = check_utf8_strings(obj); !s) return s.error();
  reader.req("type", envelope.type);
  if (!reader.status()) return reader.status().error();
  return decode_as(envelope.type, obj);
}

Result<Message> decode(std::string_view bytes, const MsgpackLimits& limits) {
  return decode(
      std::span<const std::uint8_t>(
          reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
      limits);
}

std::uint64_t peek_request_id(std::string_view bytes) {
  std::span<const std::uint8_t> b(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  auto handle = unpack_checked(b, MsgpackLimits{});
  if (!handle || handle->get().type != msgpack::type::MAP) return 0;
  const msgpack::object_map& map = handle->get().via.map;
  for (std::uint32_t i = 0; i < map.size; ++i) {
    const msgpack::object_kv& kv = map.ptr[i];
    if (kv.key.type == msgpack::type::STR &&
        std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == "id" &&
        kv.val.type == msgpack::type::POSITIVE_INTEGER) {
      return kv.val.via.u64;
    }
  }
  return 0;
}

ErrorReply to_error_reply(std::uint64_t id, const Error& error) {
  ErrorReply reply;
  reply.id = id;
  reply.code = static_cast<std::uint64_t>(error.code);
  reply.name = std::string(error_name(error.code));
  // Reasons may quote what was refused: bounded, escaped, valid UTF-8.
  reply.message =
      printable_prefix(error.reason, limits::error_reason_bytes_max);
  if (!error.field.empty()) {
    reply.field = printable_prefix(error.field, limits::field_name_bytes_max);
  }
  return reply;
}

Error from_error_reply(const ErrorReply& reply) {
  // An unknown number from a newer peer is still an error: keep its text.
  ErrorCode code =
      error_code_from_number(reply.code).value_or(ErrorCode::internal);
  return make_error(code, reply.message, reply.field.value_or(""));
}

}  // namespace slurp
