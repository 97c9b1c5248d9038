#pragma once
// The uploaded CSV of the import endpoints (docs/api.md, "Endpoints", CSV imports): the file
// checks that answer 400 (not .csv, not UTF-8, empty, over 1,000 rows) and the first column of
// each non-empty data row, numbered the way the v3 service numbered its results.
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/multipart.h"

namespace scrapersky::api::routes {

inline constexpr std::size_t kMaxCsvRows = 1000;  // header included

struct CsvValue {
  int row_number = 0;  // 1-based over non-empty data rows
  std::string value;   // the first cell, trimmed
};

// RFC 4180 records (quoted fields, "" escapes, CRLF or LF); a UTF-8 BOM is skipped.
std::vector<std::vector<std::string>> parse_csv(std::string_view text);

bool is_valid_utf8(std::string_view text);

// Checks the upload and returns the values of its first column; the first row is a header
// when its first cell (lower-cased) is one of `header_words`. Throws ApiError 400.
std::vector<CsvValue> read_csv_values(const FormPart& file,
                                      std::initializer_list<std::string_view> header_words);

// The CSVImportResponse of both imports: one result per value, in row order, with the counts.
class CsvImportReport {
 public:
  explicit CsvImportReport(std::size_t total_rows) : total_rows_(total_rows) {}
  void success(const CsvValue& value, std::string id);
  void skipped(const CsvValue& value, std::string id, std::string why);
  void error(const CsvValue& value, std::string why);
  nlohmann::json to_json() const;

 private:
  void add(const CsvValue& value, const char* status, nlohmann::json id, nlohmann::json error);

  std::size_t total_rows_;
  int successful_ = 0, failed_ = 0, skipped_ = 0;
  nlohmann::json results_ = nlohmann::json::array();
};

}  // namespace scrapersky::api::routes
