#include "db/result.h"

#include <charconv>
#include <cstdlib>

namespace scrapersky::db {

const std::optional<std::string>& Row::cell(std::size_t column) const {
  if (column >= data_->columns.size()) {
    throw Error("", "column index " + std::to_string(column) + " out of range");
  }
  return data_->cells[row_ * data_->columns.size() + column];
}

std::size_t Row::index_of(std::string_view column) const {
  for (std::size_t i = 0; i < data_->columns.size(); ++i) {
    if (data_->columns[i] == column) return i;
  }
  throw Error("", "no column named '" + std::string(column) + "' in the result");
}

namespace {
template <typename I>
I parse_integer(const std::string& text, const std::string& column) {
  I value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw DataError("22P02", "column '" + column + "': '" + text + "' is not an integer");
  }
  return value;
}
}  // namespace

template <>
std::string Row::convert<std::string>(const std::string& text, std::size_t) const {
  return text;
}

template <>
std::int64_t Row::convert<std::int64_t>(const std::string& text, std::size_t column) const {
  return parse_integer<std::int64_t>(text, data_->columns[column]);
}

template <>
int Row::convert<int>(const std::string& text, std::size_t column) const {
  return parse_integer<int>(text, data_->columns[column]);
}

template <>
double Row::convert<double>(const std::string& text, std::size_t column) const {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    throw DataError("22P02", "column '" + data_->columns[column] + "': '" + text +
                                 "' is not a number");
  }
  return value;
}

template <>
bool Row::convert<bool>(const std::string& text, std::size_t column) const {
  // PostgreSQL sends t/f; SQLite stores booleans as 0/1.
  if (text == "t" || text == "true" || text == "1") return true;
  if (text == "f" || text == "false" || text == "0") return false;
  throw DataError("22P02", "column '" + data_->columns[column] + "': '" + text +
                               "' is not a boolean");
}

Row Result::operator[](std::size_t row) const {
  if (row >= size()) throw Error("", "row " + std::to_string(row) + " out of range");
  return Row(data_, row);
}

}  // namespace scrapersky::db
