#include "src/worker/context_json.h"

#include <sodium.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "protocol/limits.h"
#include "protocol/ucxl_address.h"
#include "protocol/wire_size.h"
#include "src/worker/content_hash.h"
#include "src/worker/utf8.h"

namespace slurp::worker {
namespace {

using Json = nlohmann::json;
// Written objects keep the wire's field order, for people reading them.
using OrderedJson = nlohmann::ordered_json;

// ---- writing ---------------------------------------------------------------

OrderedJson to_json_value(const std::string& v) {
  return v;
}
OrderedJson to_json_value(std::uint64_t v) {
  return v;
}
OrderedJson to_json_value(double v) {
  return v;
}
template <Record R>
OrderedJson to_json_value(const R& record);
template <class T>
OrderedJson to_json_value(const std::vector<T>& items) {
  OrderedJson out = OrderedJson::array();
  for (const T& item : items) out.push_back(to_json_value(item));
  return out;
}

class JsonFieldWriter {
 public:
  explicit JsonFieldWriter(OrderedJson& out) : out_(out) {}
  template <class T>
  void req(const char* name, const T& value) {
    out_[name] = to_json_value(value);
  }
  template <class T>
  void def(const char* name, const T& value) {
    out_[name] = to_json_value(value);
  }
  template <class T>
  void opt(const char* name, const std::optional<T>& value) {
    if (value) out_[name] = to_json_value(*value);
  }

 private:
  OrderedJson& out_;
};

template <Record R>
OrderedJson to_json_value(const R& record) {
  OrderedJson out = OrderedJson::object();
  JsonFieldWriter writer(out);
  const_cast<R&>(record).fields(writer);  // fields() only reads here
  return out;
}

// Strings we did not check (addresses, paths) never make dump() throw.
std::string dump(const OrderedJson& j) {
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

std::string base64(const Bytes& bytes) {
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// ---- reading ---------------------------------------------------------------

// What one context may hold in all its lists, so that a result batch stays
// under the decoder's object limit at the node.
struct ReadBudget {
  std::size_t list_items = 0;
};

std::string type_name(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer: return "a negative integer";
    case Json::value_t::number_unsigned: return "an unsigned integer";
    case Json::value_t::number_float: return "a number with a fraction";
    case Json::value_t::binary: return "binary";
    case Json::value_t::discarded: return "nothing";
  }
  return "unknown";
}

Error wrong_type(const Json& j, std::string_view expected,
                 const std::string& path) {
  return make_error(
      ErrorCode::bad_request,
      "expected " + std::string(expected) + ", got " + type_name(j), path);
}

Status read_json(const Json& j, std::string& out, const std::string& path,
                 ReadBudget&) {
  if (!j.is_string()) return wrong_type(j, "a string", path);
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() > limits::msgpack_string_bytes_max) {
    return make_error(
        ErrorCode::too_large,
        "over " + std::to_string(limits::msgpack_string_bytes_max) + " bytes",
        path);
  }
  out = s;
  return ok_status();
}

Status read_json(const Json& j, std::uint64_t& out, const std::string& path,
                 ReadBudget&) {
  if (!j.is_number_unsigned()) {
    return wrong_type(j, "an unsigned integer", path);
  }
  out = j.get<std::uint64_t>();
  return ok_status();
}

Status read_json(const Json& j, double& out, const std::string& path,
                 ReadBudget&) {
  if (!j.is_number()) return wrong_type(j, "a number", path);
  out = j.get<double>();
  if (!std::isfinite(out)) {
    return make_error(ErrorCode::bad_request, "number must be finite", path);
  }
  return ok_status();
}

template <Record R>
Status read_json(const Json& j, R& out, const std::string& path,
                 ReadBudget& budget);

template <class T>
Status read_json(const Json& j, std::vector<T>& out, const std::string& path,
                 ReadBudget& budget) {
  if (!j.is_array()) return wrong_type(j, "an array", path);
  budget.list_items += j.size();
  if (budget.list_items > limits::exec_context_items_max) {
    return make_error(ErrorCode::too_large,
                      "the context's lists hold over " +
                          std::to_string(limits::exec_context_items_max) +
                          " items",
                      path);
  }
  out.clear();
  out.resize(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    Status s =
        read_json(j[i], out[i], path + "[" + std::to_string(i) + "]", budget);
    if (!s) return s;
  }
  return ok_status();
}

// Visits a record's fields over one JSON object; keeps the first error.
// Every field may be missing or null (it keeps its default): the command
// says what it knows.
class JsonFieldReader {
 public:
  JsonFieldReader(const Json& object, std::string prefix, ReadBudget& budget)
      : object_(object), prefix_(std::move(prefix)), budget_(budget) {}

  template <class T>
  void req(const char* name, T& out) {
    read(name, out);
  }
  template <class T>
  void def(const char* name, T& out) {
    read(name, out);
  }
  template <class T>
  void opt(const char* name, std::optional<T>& out) {
    if (!status_) return;
    out.reset();
    const Json* j = find(name);
    if (j) status_ = read_json(*j, out.emplace(), prefix_ + name, budget_);
  }

  const Status& status() const { return status_; }

 private:
  template <class T>
  void read(const char* name, T& out) {
    if (!status_) return;
    if (const Json* j = find(name)) {
      status_ = read_json(*j, out, prefix_ + name, budget_);
    }
  }
  const Json* find(const char* name) const {
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  const Json& object_;
  std::string prefix_;
  ReadBudget& budget_;
  Status status_ = ok_status();
};

template <Record R>
Status read_json(const Json& j, R& out, const std::string& path,
                 ReadBudget& budget) {
  if (!j.is_object()) return wrong_type(j, "an object", path);
  JsonFieldReader reader(j, path.empty() ? path : path + ".", budget);
  out.fields(reader);
  return reader.status();
}

// nlohmann's parser is iterative, but a bound keeps hostile nesting from
// costing more than the output limit already allows.
Status check_depth(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limits::exec_json_depth_max) {
        return make_error(ErrorCode::bad_request,
                          "nested deeper than " +
                              std::to_string(limits::exec_json_depth_max));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return ok_status();
}

constexpr std::size_t kParseErrorBytesMax = 200;

Result<Json> parse_object(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return make_error(ErrorCode::bad_request, "empty output");
  }
  if (Status s = check_depth(text); !s) return s.error();
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, ...": the
    // part after the tag is the useful one. (A number too big for a double
    // is an out_of_range error.)
    // Its "last read" may quote a long or broken token: bounded, and
    // valid UTF-8, since the reason goes into the replicated log.
    std::string_view what = e.what();
    if (auto at = what.find("] "); at != std::string_view::npos) {
      what.remove_prefix(at + 2);
    }
    return make_error(ErrorCode::bad_request,
                      "not JSON: " + printable_utf8(what, kParseErrorBytesMax));
  }
  if (!j.is_object()) return wrong_type(j, "a JSON object", "");
  return j;
}

// The command may name the job's address in any form that parses to it.
Status check_address(const Json& given, const Job& job) {
  if (!given.is_string()) return wrong_type(given, "a string", "address");
  const auto& text = given.get_ref<const std::string&>();
  if (text == job.address) return ok_status();
  auto theirs = parse_ucxl(text);
  auto ours = parse_ucxl(job.address);
  if (theirs && ours && theirs->to_string() == ours->to_string()) {
    return ok_status();
  }
  return make_error(ErrorCode::bad_request,
                    "not the job's address (" + job.address + ")", "address");
}

// Facts the job already knows, for fields the command left out.
void default_from_job(const Json& object, const Job& job, Context& context) {
  if (context.content_hash.empty()) {
    if (job.content_hash) {
      context.content_hash = *job.content_hash;
    } else if (job.content) {
      context.content_hash = content_hash(*job.content);
    }
  }
  auto metrics = object.find("metrics");
  const bool has_bytes = metrics != object.end() && metrics->is_object() &&
                         metrics->contains("bytes") &&
                         !metrics->at("bytes").is_null();
  if (!has_bytes && job.content) context.metrics.bytes = job.content->size();
}

}  // namespace

std::string job_to_json(const Job& job) {
  OrderedJson j = OrderedJson::object();
  j["job_id"] = job.job_id;
  j["attempt"] = job.attempt;
  j["lease_ms"] = job.lease_ms;
  j["address"] = job.address;
  if (auto parsed = parse_ucxl(job.address)) j["path"] = parsed->path;
  j["role"] = job.role;
  j["priority"] = std::string(enum_to_wire(job.priority));
  const std::string_view text =
      job.content
          ? std::string_view(reinterpret_cast<const char*>(job.content->data()),
                             job.content->size())
          : std::string_view();
  if (job.content && is_utf8(text)) {
    j["content"] = std::string(text);
  } else if (job.content) {
    j["content_base64"] = base64(*job.content);
  }
  if (job.file_path) j["file_path"] = *job.file_path;
  if (job.content_hash) j["content_hash"] = *job.content_hash;
  j["depends_on"] = to_json_value(job.depends_on);
  j["failed_dependencies"] = to_json_value(job.failed_dependencies);
  j["dependencies"] = to_json_value(job.dependencies);
  return dump(j);
}

std::string context_to_json(const Context& context) {
  return dump(to_json_value(context));
}

Result<Context> context_from_json(std::string_view text, const Job& job) {
  auto parsed = parse_object(text);
  if (!parsed) return parsed.error();
  Json& object = *parsed;
  if (auto a = object.find("address"); a != object.end() && !a->is_null()) {
    if (Status s = check_address(*a, job); !s) return s.error();
  }
  // Set by the worker and the cluster, never by the command: the leader
  // matches engine_version for cache hits and numbers the versions.
  for (const char* owned :
       {"address", "version", "engine", "engine_version", "generated_at_ms"}) {
    object.erase(owned);
  }
  Context context;
  ReadBudget budget;
  if (Status s = read_json(object, context, "", budget); !s) return s.error();
  if (context.confidence < 0.0 || context.confidence > 1.0) {
    return make_error(ErrorCode::bad_request, "expected a number from 0 to 1",
                      "confidence");
  }
  context.address = job.address;
  default_from_job(object, job, context);
  if (wire_bytes_estimate(context) > kBatchPayloadBytesMax) {
    return make_error(ErrorCode::too_large,
                      "the context would not fit in a results message");
  }
  return context;
}

}  // namespace slurp::worker
