#pragma once
// Building blocks of the API's list and bulk-update statements: a WHERE clause assembled from
// optional filters with numbered parameters ($1...; the same text on PostgreSQL and SQLite),
// substring patterns that match literally and case-insensitively on both backends (SQLite has
// no ILIKE), and the shapes lists and bulk updates answer with.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/engine.h"

namespace scrapersky::store {

// "%needle%" with %, _ and \ escaped (use with ESCAPE '\').
std::string like_contains_pattern(std::string_view needle);

class Conditions {
 public:
  // Appends a parameter and returns its placeholder ("$3").
  std::string param(db::Value value);
  void add(std::string clause) { clauses_.push_back(std::move(clause)); }
  void equals(std::string_view column, std::string value);
  void equals_ignoring_case(std::string_view column, std::string value);
  // Case-insensitive literal substring match.
  void contains(std::string_view column, std::string_view needle);
  void in_list(std::string_view column, std::span<const std::string> values);

  bool empty() const { return clauses_.empty(); }
  std::string where() const;  // "" or " WHERE a AND b"
  const std::vector<db::Value>& params() const { return params_; }

 private:
  std::vector<std::string> clauses_;
  std::vector<db::Value> params_;
};

inline db::Value optional_value(const std::optional<std::string>& value) {
  return value ? db::Value(*value) : db::Value(nullptr);
}

// What a bulk status update answers (docs/api.md, "Endpoints", Curation updates): rows changed, and
// of those how many were put on a worker queue.
struct BulkUpdateCounts {
  std::int64_t updated_count = 0;
  std::int64_t queued_count = 0;
};

// One page of a list and the total the filters match (a COUNT, not the loaded rows).
template <typename T>
struct RecordPage {
  std::vector<T> items;
  std::int64_t total = 0;
};

}  // namespace scrapersky::store
