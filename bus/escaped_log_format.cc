#include "bus/escaped_log_format.h"

#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>

#include "protocol/limits.h"
#include "protocol/printable.h"

namespace slurp::bus {
namespace {

class EscapingFormatter final : public spdlog::formatter {
 public:
  explicit EscapingFormatter(std::string pattern)
      : pattern_(std::move(pattern)),
        inner_(std::make_unique<spdlog::pattern_formatter>(pattern_)) {}

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const std::string escaped =
        printable_prefix(payload, limits::log_message_bytes_max);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    inner_->format(copy, dest);
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<EscapingFormatter>(pattern_);
  }

 private:
  std::string pattern_;
  std::unique_ptr<spdlog::pattern_formatter> inner_;
};

}  // namespace

void use_escaped_log_format(spdlog::logger& logger,
                            const std::string& pattern) {
  logger.set_formatter(std::make_unique<EscapingFormatter>(pattern));
}

}  // namespace slurp::bus
