#pragma once
// A bulk write of rows into one table, encoded as the rows are appended (DuckDB's Appender is
// the model): COPY ... FROM STDIN text on PostgreSQL, sent in chunks while the next rows are
// encoded, so the server works while the writer encodes; one prepared INSERT stepped per row on
// SQLite. Created by Transaction::append; lives inside its unit of work.
//
//   auto rows = tx.append("sitemap_urls", kColumns);
//   for (const auto& r : batch) rows.text(r.url).utc_seconds(r.lastmod).null().end_row();
//   rows.close();   // returns the rows written; throws the db::Error family
//
// Values are borrowed until end_row(): a string_view must stay valid until then. Cells go in
// column order, exactly columns.size() per row. Destroyed without close(), the write is
// abandoned and the transaction fails (only rollback is possible).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace scrapersky::db {

class Transaction;

// How an Appender's rows travel to PostgreSQL (SQLite steps its INSERT either way).
enum class CopyFormat {
  kText,    // COPY text: the server parses every cell from text; any cell may be text()
  // COPY binary: no parsing on the server. Every cell must match its column's type: text() for
  // text, varchar, uuid, json and jsonb; utc_seconds() for timestamps; integer() for integers;
  // real() for float4/float8; boolean() for bool (else Error 22023 naming the column).
  kBinary,
};

namespace internal {
class RowSink;
}

class Appender {
 public:
  Appender(Appender&&) noexcept;
  Appender& operator=(Appender&&) = delete;
  ~Appender();

  Appender& text(std::string_view value);
  Appender& null();
  Appender& integer(std::int64_t value);
  Appender& real(double value);
  Appender& boolean(bool value);
  // A UTC instant given as unix seconds; exact for years 1 to 9999.
  Appender& utc_seconds(std::int64_t unix_seconds);
  void end_row();
  // Sends what is left and ends the write. Returns the rows written.
  std::int64_t close();

 private:
  friend class Transaction;
  Appender(Transaction& tx, std::unique_ptr<internal::RowSink> sink, std::string table);
  template <typename F>
  Appender& guarded(F&& step);

  Transaction* tx_;
  std::unique_ptr<internal::RowSink> sink_;
  std::string table_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace scrapersky::db
