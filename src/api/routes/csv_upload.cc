#include "api/routes/csv_upload.h"

#include <algorithm>
#include <cctype>

#include "api/http.h"

namespace scrapersky::api::routes {
namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    unsigned min = 0;
    unsigned code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, min = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, min = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  bool any = false;  // the current record has content (so a final line without \n counts)
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

std::vector<CsvValue> read_csv_values(const FormPart& file,
                                      std::initializer_list<std::string_view> header_words) {
  const std::string_view name = file.filename;
  if (name.size() < 4 || name.substr(name.size() - 4) != ".csv") {
    throw ApiError(400, "File must be a CSV (.csv)");
  }
  if (!is_valid_utf8(file.content)) throw ApiError(400, "File must be UTF-8 encoded");
  const auto records = parse_csv(file.content);
  const bool empty = std::all_of(records.begin(), records.end(), [](const auto& record) {
    return std::all_of(record.begin(), record.end(),
                       [](const std::string& cell) { return trim(cell).empty(); });
  });
  if (empty) throw ApiError(400, "CSV file is empty");
  if (records.size() > kMaxCsvRows) {
    throw ApiError(400, "CSV file has too many rows",
                   "At most " + std::to_string(kMaxCsvRows) + " rows (header included), got " +
                       std::to_string(records.size()));
  }
  std::vector<CsvValue> values;
  bool first = true;
  for (const auto& record : records) {
    const std::string cell = record.empty() ? std::string() : trim(record.front());
    if (first) {
      first = false;
      const std::string head = lower(cell);
      if (std::find(header_words.begin(), header_words.end(), head) != header_words.end()) continue;
    }
    if (cell.empty()) continue;
    values.push_back({static_cast<int>(values.size()) + 1, cell});
  }
  return values;
}

void CsvImportReport::add(const CsvValue& value, const char* status, nlohmann::json id,
                          nlohmann::json error) {
  results_.push_back({{"row_number", value.row_number},
                      {"value", value.value},
                      {"status", status},
                      {"id", std::move(id)},
                      {"error", std::move(error)}});
}

void CsvImportReport::success(const CsvValue& value, std::string id) {
  ++successful_;
  add(value, "success", std::move(id), nullptr);
}

void CsvImportReport::skipped(const CsvValue& value, std::string id, std::string why) {
  ++skipped_;
  add(value, "skipped", std::move(id), std::move(why));
}

void CsvImportReport::error(const CsvValue& value, std::string why) {
  ++failed_;
  add(value, "error", nullptr, std::move(why));
}

nlohmann::json CsvImportReport::to_json() const {
  return {{"total_rows", total_rows_},
          {"successful", successful_},
          {"failed", failed_},
          {"skipped", skipped_},
          {"results", results_}};
}

}  // namespace scrapersky::api::routes
