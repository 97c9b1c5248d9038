#pragma once
// Request validation for handlers, with FastAPI/pydantic-shaped 422 errors so clients keep
// working: {"detail": [{"loc": ["body","domains",0], "msg": "...", "type": "...", "input": ...}]}.
// Getters record every error and return a placeholder; finish() throws one 422 listing all:
//
//   auto body = JsonBody::parse(request);
//   auto ids = body.required_uuid_list("domain_ids", {.min = 1});
//   auto status = body.required_enum<model::SitemapCurationStatus>("sitemap_curation_status");
//   bool auto_queue = body.optional_bool("auto_queue").value_or(false);
//   body.finish();
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "model/enums.h"

namespace scrapersky::api {

// One pydantic-style error entry.
struct FieldError {
  nlohmann::json loc;   // e.g. ["query", "page"]
  std::string msg;
  std::string type;     // missing, string_type, int_parsing, uuid_parsing, enum, ...
  nlohmann::json input; // the offending value (null when missing)
  nlohmann::json ctx;   // e.g. {"ge": 1}; null when none
  nlohmann::json to_json() const;
};

// The 422 ApiError for these errors: message summarises the first, detail is the array.
ApiError validation_error(std::vector<FieldError> errors);

struct IntBounds {
  std::optional<std::int64_t> min;  // greater_than_equal
  std::optional<std::int64_t> max;  // less_than_equal
};
struct LengthBounds {
  std::optional<std::size_t> min;  // too_short / string_too_short
  std::optional<std::size_t> max;  // too_long / string_too_long
};

// Collects FieldErrors; finish() throws them as one 422.
class Validator {
 public:
  bool ok() const { return errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }
  void add_error(FieldError error) { errors_.push_back(std::move(error)); }
  void finish() const;

 protected:
  std::vector<FieldError> errors_;
};

// A JSON object request body, with typed field getters (loc ["body", name, ...]).
// `optional_*` treat an absent field and an explicit null alike.
class JsonBody : public Validator {
 public:
  // Throws 422 at once for an empty body (missing), malformed JSON (json_invalid) or a
  // non-object (model_attributes_type).
  static JsonBody parse(const Request& request);
  explicit JsonBody(nlohmann::json object) : object_(std::move(object)) {}

  const nlohmann::json& raw() const { return object_; }
  bool has(std::string_view name) const;  // present and not null

  std::string required_string(std::string_view name, LengthBounds length = {});
  std::optional<std::string> optional_string(std::string_view name, LengthBounds length = {});
  std::int64_t required_int(std::string_view name, IntBounds bounds = {});
  std::optional<std::int64_t> optional_int(std::string_view name, IntBounds bounds = {});
  std::optional<bool> optional_bool(std::string_view name);
  std::string required_uuid(std::string_view name);  // canonical lower-case form
  std::optional<std::string> optional_uuid(std::string_view name);
  std::vector<std::string> required_uuid_list(std::string_view name, LengthBounds items = {});
  std::vector<std::string> required_string_list(std::string_view name, LengthBounds items = {},
                                                LengthBounds each = {});

  // One of `allowed` (all of E's strings when empty); error type "enum".
  template <typename E>
  std::optional<E> required_enum(std::string_view name, std::span<const E> allowed = {}) {
    return to_enum<E>(enum_field(name, true, names_of(allowed)));
  }
  template <typename E>
  std::optional<E> optional_enum(std::string_view name, std::span<const E> allowed = {}) {
    return to_enum<E>(enum_field(name, false, names_of(allowed)));
  }

 private:
  template <typename E>
  static std::vector<std::string_view> names_of(std::span<const E> allowed) {
    std::vector<std::string_view> names;
    if (allowed.empty()) {
      const auto& all = model::EnumNames<E>::values;
      names.assign(all.begin(), all.end());
    } else {
      for (const E value : allowed) names.push_back(model::to_string(value));
    }
    return names;
  }
  template <typename E>
  static std::optional<E> to_enum(const std::optional<std::string>& text) {
    return text ? model::parse_enum<E>(*text) : std::nullopt;
  }
  const nlohmann::json* field(std::string_view name, bool required);
  std::optional<std::int64_t> optional_int_impl(std::string_view name, IntBounds bounds,
                                                bool required);
  std::optional<std::string> enum_field(std::string_view name, bool required,
                                        const std::vector<std::string_view>& allowed);
  nlohmann::json object_;
};

// Query parameter getters (loc ["query", name]); unknown parameters are ignored and the
// first value of a repeated parameter wins. Booleans accept true/false/1/0/yes/no/on/off.
class QueryParams : public Validator {
 public:
  explicit QueryParams(const Request& request) : request_(request) {}

  std::int64_t integer(std::string_view name, std::int64_t fallback, IntBounds bounds = {});
  std::optional<std::int64_t> optional_integer(std::string_view name, IntBounds bounds = {});
  bool boolean(std::string_view name, bool fallback);
  std::optional<bool> optional_boolean(std::string_view name);
  std::optional<std::string> optional_string(std::string_view name);
  std::optional<std::string> optional_uuid(std::string_view name);
  template <typename E>
  std::optional<E> optional_enum(std::string_view name) {
    const auto& all = model::EnumNames<E>::values;
    const auto text = enum_param(name, std::vector<std::string_view>(all.begin(), all.end()));
    return text ? model::parse_enum<E>(*text) : std::nullopt;
  }
  // One of `allowed`, exactly; records a 422 (enum) otherwise.
  std::optional<std::string> enum_param(std::string_view name,
                                        const std::vector<std::string_view>& allowed);

 private:
  const Request& request_;
};

// The path parameter `name` as a canonical UUID; throws 422 (loc ["path", name],
// uuid_parsing) when malformed.
std::string path_uuid(const Request& request, std::string_view name);

// pydantic's wording of an enum choice: "'a', 'b' or 'c'".
std::string expected_choices(const std::vector<std::string_view>& allowed);

}  // namespace scrapersky::api
