#pragma once
// Statement parameters (Value) and results (Result of Rows). Results are text cells as the
// server sent them, converted on access; timestamps are already UTC "YYYY-MM-DDTHH:MM:SSZ"
// on both backends (see docs/database.md, "Timestamps").
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "db/errors.h"

namespace scrapersky::db {

// One bound parameter. Strings are sent untyped on PostgreSQL, so they coerce to the column's
// type (uuid, timestamptz, jsonb); write CAST($1 AS text) where the server cannot infer one.
using Value = std::variant<std::nullptr_t, std::int64_t, double, bool, std::string>;

namespace internal {
struct ResultData {
  std::vector<std::string> columns;
  std::vector<std::optional<std::string>> cells;  // row-major
  std::int64_t affected_rows = 0;
  std::size_t row_count() const { return columns.empty() ? 0 : cells.size() / columns.size(); }
};
}  // namespace internal

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// One row of a Result (shares the Result's storage, so it may outlive the Result object).
class Row {
 public:
  Row(std::shared_ptr<const internal::ResultData> data, std::size_t row)
      : data_(std::move(data)), row_(row) {}

  bool is_null(std::size_t column) const { return !cell(column).has_value(); }
  bool is_null(std::string_view column) const { return is_null(index_of(column)); }

  // get<std::string>, get<std::int64_t>, get<int>, get<double>, get<bool>, or
  // get<std::optional<T>> (NULL -> nullopt). A NULL read as a non-optional throws DataError.
  template <typename T>
  T get(std::size_t column) const {
    const auto& text = cell(column);
    if constexpr (IsOptional<T>::value) {
      if (!text) return std::nullopt;
      return convert<typename T::value_type>(*text, column);
    } else {
      if (!text) throw DataError("22004", "column '" + data_->columns[column] + "' is NULL");
      return convert<T>(*text, column);
    }
  }
  template <typename T>
  T get(std::string_view column) const {
    return get<T>(index_of(column));
  }

  std::size_t size() const { return data_->columns.size(); }

 private:
  const std::optional<std::string>& cell(std::size_t column) const;
  std::size_t index_of(std::string_view column) const;
  template <typename T>
  T convert(const std::string& text, std::size_t column) const;

  std::shared_ptr<const internal::ResultData> data_;
  std::size_t row_;
};

template <>
std::string Row::convert<std::string>(const std::string& text, std::size_t column) const;
template <>
std::int64_t Row::convert<std::int64_t>(const std::string& text, std::size_t column) const;
template <>
int Row::convert<int>(const std::string& text, std::size_t column) const;
template <>
double Row::convert<double>(const std::string& text, std::size_t column) const;
template <>
bool Row::convert<bool>(const std::string& text, std::size_t column) const;

// The rows of one statement (possibly none) and the number of rows it changed.
// One row of Transaction::for_each_row: its cells as views into the driver's buffers, valid
// only during the call (nothing is copied). nullopt: SQL NULL. Timestamps are UTC
// "YYYY-MM-DDTHH:MM:SSZ" text on both backends, as in Result.
class RowView {
 public:
  explicit RowView(std::span<const std::optional<std::string_view>> cells) : cells_(cells) {}
  std::optional<std::string_view> operator[](std::size_t column) const { return cells_[column]; }
  std::size_t size() const { return cells_.size(); }

 private:
  std::span<const std::optional<std::string_view>> cells_;
};

class Result {
 public:
  class Iterator {
   public:
    Iterator(const std::shared_ptr<const internal::ResultData>* data, std::size_t row)
        : data_(data), row_(row) {}
    Row operator*() const { return Row(*data_, row_); }
    Iterator& operator++() {
      ++row_;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return row_ != other.row_; }
    bool operator==(const Iterator& other) const { return row_ == other.row_; }

   private:
    const std::shared_ptr<const internal::ResultData>* data_;
    std::size_t row_;
  };

  Result() : data_(std::make_shared<internal::ResultData>()) {}
  explicit Result(std::shared_ptr<const internal::ResultData> data) : data_(std::move(data)) {}

  std::size_t size() const { return data_->row_count(); }
  bool empty() const { return size() == 0; }
  Row operator[](std::size_t row) const;
  Row front() const { return (*this)[0]; }
  Iterator begin() const { return Iterator(&data_, 0); }
  Iterator end() const { return Iterator(&data_, size()); }
  const std::vector<std::string>& columns() const { return data_->columns; }
  // INSERT/UPDATE/DELETE: rows changed; SELECT: rows returned.
  std::int64_t affected_rows() const { return data_->affected_rows; }

 private:
  std::shared_ptr<const internal::ResultData> data_;
};

}  // namespace scrapersky::db
