#include "protocol/field_rules.h"

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "protocol/limits.h"

namespace slurp {
namespace {

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

std::string index_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

Status check_bytes(const std::string& text, std::size_t bytes_max,
                   const std::string& field) {
  if (text.size() <= bytes_max) return ok_status();
  return make_error(ErrorCode::too_large,
                    field + " is " + std::to_string(text.size()) +
                        " bytes; the limit is " + std::to_string(bytes_max),
                    field);
}

Status check_each(const std::vector<std::string>& items, std::size_t bytes_max,
                  const std::string& field) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (Status s = check_bytes(items[i], bytes_max, index_path(field, i)); !s) {
      return s;
    }
  }
  return ok_status();
}

Status check_symbols(const std::vector<Symbol>& symbols,
                     const std::string& field) {
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const std::string at = index_path(field, i) + ".";
    if (Status s = check_bytes(symbols[i].name, limits::context_item_bytes_max,
                               at + "name");
        !s) {
      return s;
    }
    if (Status s = check_bytes(symbols[i].kind, limits::context_name_bytes_max,
                               at + "kind");
        !s) {
      return s;
    }
    for (const auto& [text, name] :
         {std::pair{&symbols[i].signature, "signature"},
          std::pair{&symbols[i].doc, "doc"}}) {
      if (!*text) continue;
      if (Status s =
              check_bytes(**text, limits::context_item_bytes_max, at + name);
          !s) {
        return s;
      }
    }
  }
  return ok_status();
}

Status check_languages(const std::vector<LanguageShare>& languages,
                       const std::string& field) {
  for (std::size_t i = 0; i < languages.size(); ++i) {
    if (Status s =
            check_bytes(languages[i].language, limits::context_name_bytes_max,
                        index_path(field, i) + ".language");
        !s) {
      return s;
    }
  }
  return ok_status();
}

}  // namespace

bool is_content_hash(std::string_view text) {
  if (text.size() != limits::content_hash_hex_chars) return false;
  for (char c : text) {
    if (!is_lower_hex(c)) return false;
  }
  return true;
}

Status check_content_hash(std::string_view text, const std::string& field) {
  if (is_content_hash(text)) return ok_status();
  return make_error(ErrorCode::bad_request,
                    field + " must be " +
                        std::to_string(limits::content_hash_hex_chars) +
                        " lowercase hex digits (a hex SHA-256); got " +
                        std::to_string(text.size()) + " bytes",
                    field);
}

Status check_confidence(double confidence, const std::string& field) {
  // Written so that NaN fails too: every comparison with NaN is false.
  if (std::isfinite(confidence) && confidence >= 0.0 && confidence <= 1.0) {
    return ok_status();
  }
  return make_error(ErrorCode::bad_request,
                    field + " must be a finite number from 0 to 1", field);
}

Status check_result_context(const Context& context, const std::string& prefix) {
  if (!context.content_hash.empty()) {
    if (Status s =
            check_content_hash(context.content_hash, prefix + "content_hash");
        !s) {
      return s;
    }
  }
  return check_confidence(context.confidence, prefix + "confidence");
}

Status check_client_context(const Context& context, const std::string& prefix) {
  if (Status s = check_result_context(context, prefix); !s) return s;
  using limits::context_item_bytes_max;
  using limits::context_name_bytes_max;
  using limits::context_text_bytes_max;
  struct Text {
    const std::string& value;
    std::size_t bytes_max;
    const char* name;
  };
  const Text texts[] = {
      {context.summary, context_text_bytes_max, "summary"},
      {context.purpose, context_text_bytes_max, "purpose"},
      {context.language, context_name_bytes_max, "language"},
      {context.engine, context_name_bytes_max, "engine"},
      {context.engine_version, context_name_bytes_max, "engine_version"},
  };
  for (const Text& text : texts) {
    if (Status s = check_bytes(text.value, text.bytes_max, prefix + text.name);
        !s) {
      return s;
    }
  }
  if (context.license) {
    if (Status s = check_bytes(*context.license, context_name_bytes_max,
                               prefix + "license");
        !s) {
      return s;
    }
  }
  const std::pair<const std::vector<std::string>*, const char*> lists[] = {
      {&context.technologies, "technologies"},
      {&context.tags, "tags"},
      {&context.imports, "imports"},
      {&context.todos, "todos"},
  };
  for (const auto& [items, name] : lists) {
    if (Status s = check_each(*items, context_item_bytes_max, prefix + name);
        !s) {
      return s;
    }
  }
  if (Status s = check_symbols(context.symbols, prefix + "symbols"); !s) {
    return s;
  }
  return check_languages(context.languages, prefix + "languages");
}

}  // namespace slurp
