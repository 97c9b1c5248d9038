#include "store/record_queries.h"

namespace scrapersky::store {

std::string like_contains_pattern(std::string_view needle) {
  std::string pattern = "%";
  for (const char c : needle) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

std::string Conditions::param(db::Value value) {
  params_.push_back(std::move(value));
  return "$" + std::to_string(params_.size());
}

void Conditions::equals(std::string_view column, std::string value) {
  add(std::string(column) + " = " + param(std::move(value)));
}

void Conditions::equals_ignoring_case(std::string_view column, std::string value) {
  add("lower(" + std::string(column) + ") = lower(" + param(std::move(value)) + ")");
}

void Conditions::contains(std::string_view column, std::string_view needle) {
  add("lower(" + std::string(column) + ") LIKE lower(" + param(like_contains_pattern(needle)) +
      ") ESCAPE '\\'");
}

void Conditions::in_list(std::string_view column, std::span<const std::string> values) {
  if (values.empty()) {
    add("1 = 0");
    return;
  }
  std::string list;
  for (const auto& value : values) {
    if (!list.empty()) list += ", ";
    list += param(value);
  }
  add(std::string(column) + " IN (" + list + ")");
}

std::string Conditions::where() const {
  std::string sql;
  for (const auto& clause : clauses_) {
    sql += sql.empty() ? " WHERE " : " AND ";
    sql += clause;
  }
  return sql;
}

}  // namespace scrapersky::store
