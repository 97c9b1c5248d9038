#pragma once
// PostgreSQL's binary COPY format (COPY ... FROM STDIN (FORMAT binary)), encoded from an
// appender's typed cells. The server then parses no text: in a bulk load of sitemap_urls in text
// form, uuid_in (16 strtoul calls a value), timestamptz_in and float4in were ~14% of the
// server's CPU. Each cell must match its column's type (db::CopyFormat::kBinary).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scrapersky::db::internal {

class BinaryCopyEncoder {
 public:
  struct Column {
    std::string name;
    unsigned type = 0;  // pg_type oid
  };
  // Throws Error 0A000 naming a column whose type has no encoding here.
  explicit BinaryCopyEncoder(std::vector<Column> columns);

  static void header(std::string& out);
  static void trailer(std::string& out);
  void row_start(std::string& out) const;

  // Cells, each for column `column` (its place in the row). text() takes text, varchar, uuid
  // (32 hex digits of any case; hyphens skipped), json and jsonb columns; utc_seconds()
  // timestamp(tz); integer() int2/4/8; real() float4/8; boolean() bool. Anything else throws
  // Error 22023 naming the column.
  void text(std::string& out, std::size_t column, std::string_view value) const;
  static void null(std::string& out);
  void integer(std::string& out, std::size_t column, std::int64_t value) const;
  void real(std::string& out, std::size_t column, double value) const;
  void boolean(std::string& out, std::size_t column, bool value) const;
  void utc_seconds(std::string& out, std::size_t column, std::int64_t unix_seconds) const;

 private:
  [[noreturn]] void mismatch(std::size_t column, const char* given) const;
  std::vector<Column> columns_;
};

}  // namespace scrapersky::db::internal
