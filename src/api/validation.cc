#include "api/validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "model/uuid.h"

namespace scrapersky::api {
namespace {

using nlohmann::json;

std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

FieldError missing(json loc) {
  return FieldError{std::move(loc), "Field required", "missing", nullptr, nullptr};
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::int64_t> parse_int_text(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool_text(std::string_view text) {
  const std::string value = lower(text);
  static constexpr std::string_view kTrue[] = {"true", "1", "yes", "on", "t", "y"};
  static constexpr std::string_view kFalse[] = {"false", "0", "no", "off", "f", "n"};
  if (std::find(std::begin(kTrue), std::end(kTrue), value) != std::end(kTrue)) return true;
  if (std::find(std::begin(kFalse), std::end(kFalse), value) != std::end(kFalse)) return false;
  return std::nullopt;
}

FieldError int_parsing(json loc, json input) {
  return FieldError{std::move(loc), "Input should be a valid integer, unable to parse string as an integer",
                    "int_parsing", std::move(input), nullptr};
}

FieldError bool_parsing(json loc, json input) {
  return FieldError{std::move(loc), "Input should be a valid boolean, unable to interpret input",
                    "bool_parsing", std::move(input), nullptr};
}

FieldError uuid_parsing(json loc, json input) {
  return FieldError{std::move(loc), "Input should be a valid UUID", "uuid_parsing",
                    std::move(input), nullptr};
}

FieldError string_type(json loc, json input) {
  return FieldError{std::move(loc), "Input should be a valid string", "string_type",
                    std::move(input), nullptr};
}

// Bounds of an integer; adds an error and returns false when outside.
bool check_bounds(Validator& v, std::int64_t value, const IntBounds& bounds, const json& loc,
                  const json& input) {
  if (bounds.min && value < *bounds.min) {
    v.add_error({loc, fmt::format("Input should be greater than or equal to {}", *bounds.min),
                 "greater_than_equal", input, {{"ge", *bounds.min}}});
    return false;
  }
  if (bounds.max && value > *bounds.max) {
    v.add_error({loc, fmt::format("Input should be less than or equal to {}", *bounds.max),
                 "less_than_equal", input, {{"le", *bounds.max}}});
    return false;
  }
  return true;
}

bool check_string_length(Validator& v, const std::string& value, const LengthBounds& length,
                         const json& loc) {
  if (length.min && value.size() < *length.min) {
    v.add_error({loc, fmt::format("String should have at least {}", plural(*length.min, "character")),
                 "string_too_short", value, {{"min_length", *length.min}}});
    return false;
  }
  if (length.max && value.size() > *length.max) {
    v.add_error({loc, fmt::format("String should have at most {}", plural(*length.max, "character")),
                 "string_too_long", value, {{"max_length", *length.max}}});
    return false;
  }
  return true;
}

bool check_list_length(Validator& v, const json& list, const LengthBounds& items, const json& loc) {
  if (items.min && list.size() < *items.min) {
    v.add_error({loc,
                 fmt::format("List should have at least {} after validation, not {}",
                             plural(*items.min, "item"), list.size()),
                 "too_short", list,
                 {{"field_type", "List"}, {"min_length", *items.min}, {"actual_length", list.size()}}});
    return false;
  }
  if (items.max && list.size() > *items.max) {
    v.add_error({loc,
                 fmt::format("List should have at most {} after validation, not {}",
                             plural(*items.max, "item"), list.size()),
                 "too_long", json("[...]"),  // do not echo a huge list back
                 {{"field_type", "List"}, {"max_length", *items.max}, {"actual_length", list.size()}}});
    return false;
  }
  return true;
}

// A JSON value as an integer the way pydantic's lax mode does: ints, integral floats and
// numeric strings.
std::optional<std::int64_t> json_int(Validator& v, const json& value, const json& loc) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX) {
      v.add_error(int_parsing(loc, value));
      return std::nullopt;
    }
    return value.get<std::int64_t>();
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.2e18) {
      return static_cast<std::int64_t>(d);
    }
    v.add_error({loc, "Input should be a valid integer, got a number with a fractional part",
                 "int_from_float", value, nullptr});
    return std::nullopt;
  }
  if (value.is_string()) {
    if (auto parsed = parse_int_text(value.get<std::string>())) return parsed;
    v.add_error(int_parsing(loc, value));
    return std::nullopt;
  }
  v.add_error({loc, "Input should be a valid integer", "int_type", value, nullptr});
  return std::nullopt;
}

std::optional<std::string> json_uuid(Validator& v, const json& value, const json& loc) {
  if (!value.is_string()) {
    v.add_error({loc, "UUID input should be a string, bytes or UUID object", "uuid_type", value,
                 nullptr});
    return std::nullopt;
  }
  if (auto parsed = model::parse_uuid(value.get<std::string>())) return parsed;
  v.add_error(uuid_parsing(loc, value));
  return std::nullopt;
}

json with(const json& loc, const json& tail) {
  json out = loc;
  out.push_back(tail);
  return out;
}

}  // namespace

json FieldError::to_json() const {
  json out = {{"type", type}, {"loc", loc}, {"msg", msg}, {"input", input}};
  if (!ctx.is_null()) out["ctx"] = ctx;
  return out;
}

ApiError validation_error(std::vector<FieldError> errors) {
  json detail = json::array();
  for (const auto& error : errors) detail.push_back(error.to_json());
  std::string where;
  if (!errors.empty()) {
    for (const auto& part : errors.front().loc) {
      if (!where.empty()) where += '.';
      where += part.is_string() ? part.get<std::string>() : part.dump();
    }
  }
  std::string message =
      errors.empty() ? "Validation error"
                     : fmt::format("Validation error: {}: {}", where, errors.front().msg);
  if (errors.size() > 1) message += fmt::format(" (and {} more)", errors.size() - 1);
  return ApiError(422, std::move(message), std::move(detail));
}

void Validator::finish() const {
  if (!errors_.empty()) throw validation_error(errors_);
}

std::string expected_choices(const std::vector<std::string_view>& allowed) {
  std::string out;
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) out += i + 1 == allowed.size() ? " or " : ", ";
    out += fmt::format("'{}'", allowed[i]);
  }
  return out;
}

// ---- JsonBody ----

JsonBody JsonBody::parse(const Request& request) {
  const auto& body = request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw validation_error({missing(json::array({"body"}))});
  }
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    // The position, like FastAPI's ["body", pos]: where nlohmann's strict parser stopped.
    std::size_t position = 0;
    std::string reason = "JSON decode error";
    try {
      const json strict = json::parse(body);
      (void)strict;
    } catch (const json::parse_error& e) {
      position = e.byte > 0 ? e.byte - 1 : 0;
    }
    throw validation_error({FieldError{json::array({"body", position}), reason, "json_invalid",
                                       json::object(), {{"error", reason}}}});
  }
  if (!parsed.is_object()) {
    throw validation_error(
        {FieldError{json::array({"body"}),
                    "Input should be a valid dictionary or object to extract fields from",
                    "model_attributes_type", parsed, nullptr}});
  }
  return JsonBody(std::move(parsed));
}

bool JsonBody::has(std::string_view name) const {
  const auto it = object_.find(name);
  return it != object_.end() && !it->is_null();
}

const json* JsonBody::field(std::string_view name, bool required) {
  const auto it = object_.find(name);
  if (it == object_.end() || (!required && it->is_null())) {
    if (required) add_error(missing(json::array({"body", name})));
    return nullptr;
  }
  return &*it;
}

std::string JsonBody::required_string(std::string_view name, LengthBounds length) {
  const json loc = json::array({"body", name});
  const json* value = field(name, true);
  if (value == nullptr) return {};
  if (!value->is_string()) {
    add_error(string_type(loc, *value));
    return {};
  }
  std::string text = value->get<std::string>();
  check_string_length(*this, text, length, loc);
  return text;
}

std::optional<std::string> JsonBody::optional_string(std::string_view name, LengthBounds length) {
  const json loc = json::array({"body", name});
  const json* value = field(name, false);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    add_error(string_type(loc, *value));
    return std::nullopt;
  }
  std::string text = value->get<std::string>();
  if (!check_string_length(*this, text, length, loc)) return std::nullopt;
  return text;
}

std::int64_t JsonBody::required_int(std::string_view name, IntBounds bounds) {
  return optional_int_impl(name, bounds, true).value_or(0);
}

std::optional<std::int64_t> JsonBody::optional_int(std::string_view name, IntBounds bounds) {
  return optional_int_impl(name, bounds, false);
}

std::optional<std::int64_t> JsonBody::optional_int_impl(std::string_view name, IntBounds bounds,
                                                        bool required) {
  const json loc = json::array({"body", name});
  const json* value = field(name, required);
  if (value == nullptr) return std::nullopt;
  const auto parsed = json_int(*this, *value, loc);
  if (!parsed || !check_bounds(*this, *parsed, bounds, loc, *value)) return std::nullopt;
  return parsed;
}

std::optional<bool> JsonBody::optional_bool(std::string_view name) {
  const json loc = json::array({"body", name});
  const json* value = field(name, false);
  if (value == nullptr) return std::nullopt;
  if (value->is_boolean()) return value->get<bool>();
  if (value->is_number_integer() && (value->get<std::int64_t>() == 0 || value->get<std::int64_t>() == 1)) {
    return value->get<std::int64_t>() == 1;
  }
  if (value->is_string()) {
    if (auto parsed = parse_bool_text(value->get<std::string>())) return parsed;
    add_error(bool_parsing(loc, *value));
    return std::nullopt;
  }
  add_error({loc, "Input should be a valid boolean", "bool_type", *value, nullptr});
  return std::nullopt;
}

std::string JsonBody::required_uuid(std::string_view name) {
  const json* value = field(name, true);
  if (value == nullptr) return {};
  return json_uuid(*this, *value, json::array({"body", name})).value_or("");
}

std::optional<std::string> JsonBody::optional_uuid(std::string_view name) {
  const json* value = field(name, false);
  if (value == nullptr) return std::nullopt;
  return json_uuid(*this, *value, json::array({"body", name}));
}

std::vector<std::string> JsonBody::required_uuid_list(std::string_view name, LengthBounds items) {
  const json loc = json::array({"body", name});
  const json* value = field(name, true);
  std::vector<std::string> out;
  if (value == nullptr) return out;
  if (!value->is_array()) {
    add_error({loc, "Input should be a valid list", "list_type", *value, nullptr});
    return out;
  }
  if (!check_list_length(*this, *value, items, loc)) return out;
  for (std::size_t i = 0; i < value->size(); ++i) {
    if (auto id = json_uuid(*this, (*value)[i], with(loc, i))) out.push_back(std::move(*id));
  }
  return out;
}

std::vector<std::string> JsonBody::required_string_list(std::string_view name, LengthBounds items,
                                                        LengthBounds each) {
  const json loc = json::array({"body", name});
  const json* value = field(name, true);
  std::vector<std::string> out;
  if (value == nullptr) return out;
  if (!value->is_array()) {
    add_error({loc, "Input should be a valid list", "list_type", *value, nullptr});
    return out;
  }
  if (!check_list_length(*this, *value, items, loc)) return out;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const json& item = (*value)[i];
    if (!item.is_string()) {
      add_error(string_type(with(loc, i), item));
      continue;
    }
    std::string text = item.get<std::string>();
    if (check_string_length(*this, text, each, with(loc, i))) out.push_back(std::move(text));
  }
  return out;
}

std::optional<std::string> JsonBody::enum_field(std::string_view name, bool required,
                                                const std::vector<std::string_view>& allowed) {
  const json loc = json::array({"body", name});
  const json* value = field(name, required);
  if (value == nullptr) return std::nullopt;
  if (value->is_string() &&
      std::find(allowed.begin(), allowed.end(), value->get<std::string>()) != allowed.end()) {
    return value->get<std::string>();
  }
  const std::string expected = expected_choices(allowed);
  add_error({loc, "Input should be " + expected, "enum", *value, {{"expected", expected}}});
  return std::nullopt;
}

// ---- QueryParams ----

std::optional<std::int64_t> QueryParams::optional_integer(std::string_view name, IntBounds bounds) {
  const auto it = request_.query.find(std::string(name));
  if (it == request_.query.end()) return std::nullopt;
  const json loc = json::array({"query", name});
  const auto parsed = parse_int_text(it->second);
  if (!parsed) {
    add_error(int_parsing(loc, it->second));
    return std::nullopt;
  }
  if (!check_bounds(*this, *parsed, bounds, loc, it->second)) return std::nullopt;
  return parsed;
}

std::int64_t QueryParams::integer(std::string_view name, std::int64_t fallback, IntBounds bounds) {
  return optional_integer(name, bounds).value_or(fallback);
}

std::optional<bool> QueryParams::optional_boolean(std::string_view name) {
  const auto it = request_.query.find(std::string(name));
  if (it == request_.query.end()) return std::nullopt;
  if (auto parsed = parse_bool_text(it->second)) return parsed;
  add_error(bool_parsing(json::array({"query", name}), it->second));
  return std::nullopt;
}

bool QueryParams::boolean(std::string_view name, bool fallback) {
  return optional_boolean(name).value_or(fallback);
}

std::optional<std::string> QueryParams::optional_string(std::string_view name) {
  const auto it = request_.query.find(std::string(name));
  if (it == request_.query.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> QueryParams::optional_uuid(std::string_view name) {
  const auto it = request_.query.find(std::string(name));
  if (it == request_.query.end()) return std::nullopt;
  if (auto parsed = model::parse_uuid(it->second)) return parsed;
  add_error(uuid_parsing(json::array({"query", name}), it->second));
  return std::nullopt;
}

std::optional<std::string> QueryParams::enum_param(std::string_view name,
                                                   const std::vector<std::string_view>& allowed) {
  const auto it = request_.query.find(std::string(name));
  if (it == request_.query.end()) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), it->second) != allowed.end()) return it->second;
  const std::string expected = expected_choices(allowed);
  add_error({json::array({"query", name}), "Input should be " + expected, "enum", it->second,
             {{"expected", expected}}});
  return std::nullopt;
}

std::string path_uuid(const Request& request, std::string_view name) {
  const auto it = request.path_params.find(std::string(name));
  const std::string text = it == request.path_params.end() ? std::string() : it->second;
  if (auto parsed = model::parse_uuid(text)) return *parsed;
  throw validation_error({uuid_parsing(json::array({"path", name}), text)});
}

}  // namespace scrapersky::api
