#include "protocol/socket_messages.h"

#include <string>
#include <type_traits>

namespace slurp {
namespace {

// Whether `Variant` has `T` among its alternatives.
template <class Variant, class T>
struct holds_type;
template <class T, class... Ts>
struct holds_type<std::variant<Ts...>, T>
    : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {};

Error not_carried(const Message& message) {
  return make_error(ErrorCode::bad_request,
                    "'" + std::string(message_type(message)) +
                        "' is not accepted on the api socket",
                    "type");
}

}  // namespace

Result<ClientRequestMessage> as_client_request(Message message) {
  return std::visit(
      [&message](auto&& m) -> Result<ClientRequestMessage> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (holds_type<ClientRequestMessage, T>::value) {
          return ClientRequestMessage(std::move(m));
        } else {
          return make_error(ErrorCode::bad_request,
                            "'" + std::string(message_type(message)) +
                                "' is not a client request",
                            "type");
        }
      },
      std::move(message));
}

Result<ApiMessage> as_api_message(Message message) {
  return std::visit(
      [&message](auto&& m) -> Result<ApiMessage> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (holds_type<ClientRequestMessage, T>::value) {
          return ApiMessage(ClientRequestMessage(std::move(m)));
        } else if constexpr (holds_type<ConsensusMessage, T>::value) {
          return ApiMessage(ConsensusMessage(std::move(m)));
        } else if constexpr (std::is_same_v<T, Forward> ||
                             std::is_same_v<T, ResultBatch>) {
          return ApiMessage(std::move(m));
        } else {
          return not_carried(message);
        }
      },
      std::move(message));
}

Message to_message(const ClientRequestMessage& request) {
  return std::visit([](const auto& m) { return Message(m); }, request);
}

}  // namespace slurp
