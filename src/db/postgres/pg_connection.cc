#include "db/postgres/pg_connection.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <functional>
#include <optional>
#include <vector>

#include "db/postgres/pg_binary_cells.h"
#include "db/postgres/pg_binary_copy.h"
#include "db/postgres/pg_types.h"
#include "db/timestamps.h"

namespace scrapersky::db::internal {
namespace {

// COPY data is sent in chunks of this size: small enough that the server starts storing soon
// after a write begins, large enough that a send costs little.
constexpr std::size_t kCopyChunkBytes = 64 * 1024;

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

// A libpq message on one line (they end in newlines and may span several).
std::string one_line(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

std::string double_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);
}

// Text of a parameter and its type: strings stay untyped so the server coerces them.
struct Param {
  std::string text;
  Oid type = 0;
  bool null = false;
};

Param to_param(const Value& value) {
  struct Visitor {
    Param operator()(std::nullptr_t) const { return {"", 0, true}; }
    Param operator()(std::int64_t v) const { return {std::to_string(v), kInt8, false}; }
    Param operator()(double v) const { return {double_text(v), kFloat8, false}; }
    Param operator()(bool v) const { return {v ? "true" : "false", kBool, false}; }
    Param operator()(const std::string& v) const { return {v, 0, false}; }
  };
  return std::visit(Visitor{}, value);
}

// COPY text format: backslash escapes for the characters that delimit rows and fields.
void append_copy_text(std::string& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char* escaped = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : nullptr;
    if (escaped == nullptr) continue;
    out.append(text.data() + start, i - start);  // the plain run before it, in one append
    out += escaped;
    start = i + 1;
  }
  out.append(text.data() + start, text.size() - start);
}

class PgConnection final : public Connection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}

  Dialect dialect() const override { return Dialect::kPostgres; }

  Result exec(std::string_view sql, std::span<const Value> params) override {
    const ResultPtr res = run(sql, params);
    return to_result(res.get());
  }

  // Binary cells (pg_binary_cells.h), rendered as the text exec() would give.
  void for_each_row(std::string_view sql, std::span<const Value> params,
                    const std::function<void(const RowView&)>& visit) override {
    const ResultPtr res = run(sql, params, /*binary=*/true);
    visit_binary_rows(res.get(), visit);
  }

 private:
  ResultPtr run(std::string_view sql, std::span<const Value> params, bool binary = false) {
    std::vector<Param> converted;
    converted.reserve(params.size());
    for (const auto& p : params) converted.push_back(to_param(p));
    std::vector<const char*> values;
    std::vector<Oid> types;
    for (const auto& p : converted) {
      values.push_back(p.null ? nullptr : p.text.c_str());
      types.push_back(p.type);
    }
    const std::string text(sql);
    ResultPtr res(PQexecParams(conn_.get(), text.c_str(), static_cast<int>(values.size()),
                               types.data(), values.data(), nullptr, nullptr, binary ? 1 : 0));
    check(res.get());
    return res;
  }

 public:

  std::unique_ptr<RowSink> append(std::string_view table, std::span<const std::string_view> columns,
                                  CopyFormat format) override {
    check_identifier(table);
    std::string sql = fmt::format("COPY {} (", table);
    for (std::size_t i = 0; i < columns.size(); ++i) {
      check_identifier(columns[i]);
      sql += (i ? ", " : "");
      sql += columns[i];
    }
    sql += format == CopyFormat::kBinary ? ") FROM STDIN (FORMAT binary)" : ") FROM STDIN";
    if (columns.empty()) throw Error("22023", "a bulk write needs at least one column");
    std::optional<BinaryCopyEncoder> binary;
    if (format == CopyFormat::kBinary) binary.emplace(column_types(table, columns));
    ResultPtr start(PQexecParams(conn_.get(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
    if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) {
      check(start.get());
      throw Error("XX000", "COPY did not start");
    }
    return std::make_unique<CopySink>(*this, columns.size(), std::move(binary));
  }

  void begin(bool) override { simple("BEGIN"); }

  void commit() override {
    const auto status = PQtransactionStatus(conn_.get());
    // COMMIT never left: the server rolled the transaction back when the link broke. Class 08
    // says so, so the caller can answer "database unavailable" rather than a failure of its own.
    if (broken()) {
      throw CommitFailed("08006", fmt::format("commit failed: connection to PostgreSQL at {}:{} "
                                              "was lost before COMMIT (nothing was kept)",
                                              PQhost(conn_.get()), PQport(conn_.get())));
    }
    if (status != PQTRANS_INTRANS) {
      rollback_quietly();
      throw CommitFailed(status == PQTRANS_INERROR ? "25P02" : "25000",
                         status == PQTRANS_INERROR
                             ? "commit failed: the transaction is aborted (an earlier statement failed)"
                             : "commit failed: no transaction in progress");
    }
    ResultPtr res(PQexecParams(conn_.get(), "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0));
    try {
      check(res.get());
    } catch (const ConnectionError&) {
      throw;
    } catch (const Error& e) {
      rollback_quietly();
      throw CommitFailed(e.sqlstate(), std::string("commit failed: ") + e.what());
    }
    // A COMMIT of an aborted transaction is answered "ROLLBACK", not with an error.
    if (std::string_view(PQcmdStatus(res.get())) != "COMMIT") {
      throw CommitFailed("40000", fmt::format("commit failed: the server answered {}",
                                              PQcmdStatus(res.get())));
    }
  }

  void rollback() override { simple("ROLLBACK"); }

  TxStatus status() const override {
    if (broken()) return TxStatus::kUnknown;
    switch (PQtransactionStatus(conn_.get())) {
      case PQTRANS_IDLE: return TxStatus::kIdle;
      case PQTRANS_INTRANS: return TxStatus::kInTransaction;
      case PQTRANS_INERROR: return TxStatus::kFailed;
      default: return TxStatus::kUnknown;
    }
  }

  bool broken() const override { return lost_ || PQstatus(conn_.get()) != CONNECTION_OK; }

  bool ping() override {
    try {
      exec("SELECT 1", {});
      return true;
    } catch (const Error&) {
      return false;
    }
  }

 private:
  // COPY text, encoded into a buffer that is sent whenever it passes kCopyChunkBytes: the
  // server stores one chunk while the next is encoded.
  class CopySink final : public RowSink {
   public:
    // `binary`: the encoder of a binary COPY (its types); none: COPY text.
    CopySink(PgConnection& connection, std::size_t columns, std::optional<BinaryCopyEncoder> binary)
        : connection_(connection), columns_(columns), binary_(std::move(binary)) {
      buffer_.reserve(kCopyChunkBytes + 4096);
      if (binary_) BinaryCopyEncoder::header(buffer_);
    }
    ~CopySink() override { abandon(); }

    void text(std::string_view value) override {
      const auto column = next_cell();
      binary_ ? binary_->text(buffer_, column, value) : append_copy_text(buffer_, value);
    }
    void null() override {
      next_cell();
      binary_ ? BinaryCopyEncoder::null(buffer_) : void(buffer_ += "\\N");
    }
    void integer(std::int64_t value) override {
      const auto column = next_cell();
      if (binary_) return binary_->integer(buffer_, column, value);
      fmt::format_to(std::back_inserter(buffer_), "{}", value);
    }
    void real(double value) override {
      const auto column = next_cell();
      binary_ ? binary_->real(buffer_, column, value) : void(buffer_ += double_text(value));
    }
    void boolean(bool value) override {
      const auto column = next_cell();
      binary_ ? binary_->boolean(buffer_, column, value) : void(buffer_ += value ? 't' : 'f');
    }
    void utc_seconds(std::int64_t unix_seconds) override {
      const auto column = next_cell();
      try {
        binary_ ? binary_->utc_seconds(buffer_, column, unix_seconds)
                : append_utc_seconds(buffer_, unix_seconds);
      } catch (const std::out_of_range& e) {
        throw Error("22008", e.what());
      }
    }
    void end_row() override {
      if (cells_ != columns_) {
        throw Error("22023", fmt::format("a row of {} cells for {} columns", cells_, columns_));
      }
      if (!binary_) buffer_ += '\n';
      cells_ = 0;
      if (buffer_.size() >= kCopyChunkBytes) send();
    }
    std::int64_t finish() override {
      if (cells_ != 0) throw Error("22023", "the last row was not ended");
      if (binary_) BinaryCopyEncoder::trailer(buffer_);
      if (!buffer_.empty()) send();
      open_ = false;
      PQputCopyEnd(connection_.conn_.get(), nullptr);
      return drain();
    }
    void abandon() noexcept override {
      if (!open_) return;
      open_ = false;
      try {
        PQputCopyEnd(connection_.conn_.get(), "the bulk write was abandoned");
        drain();
      } catch (...) {
        // The COPY failed as asked; the transaction is failed and will be rolled back.
      }
    }

   private:
    // The place in the row of the cell about to be encoded.
    std::size_t next_cell() {
      if (cells_ == columns_) throw Error("22023", fmt::format("more than {} cells in a row", columns_));
      if (binary_) {
        if (cells_ == 0) binary_->row_start(buffer_);
      } else if (cells_ != 0) {
        buffer_ += '\t';
      }
      return cells_++;
    }
    void send() {
      if (PQputCopyData(connection_.conn_.get(), buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
        open_ = false;
        connection_.check(nullptr);  // the link is gone: ConnectionError
      }
      buffer_.clear();
    }
    // Reads every result so the connection is ready for the next statement.
    std::int64_t drain() {
      std::int64_t copied = 0;
      ResultPtr failure;
      while (PGresult* raw = PQgetResult(connection_.conn_.get())) {
        ResultPtr r(raw);
        if (PQresultStatus(raw) == PGRES_COMMAND_OK) {
          copied = std::atoll(PQcmdTuples(raw));
        } else if (!failure) {
          failure = std::move(r);
        }
      }
      if (failure) connection_.check(failure.get());
      if (PQstatus(connection_.conn_.get()) != CONNECTION_OK) connection_.check(nullptr);
      return copied;
    }

    PgConnection& connection_;
    const std::size_t columns_;
    const std::optional<BinaryCopyEncoder> binary_;
    std::size_t cells_ = 0;
    bool open_ = true;
    std::string buffer_;
  };

  // The types of `columns` of `table`, in their order (a binary COPY encodes by them).
  std::vector<BinaryCopyEncoder::Column> column_types(std::string_view table,
                                                      std::span<const std::string_view> columns) {
    const std::vector<Value> params{Value(std::string(table))};
    const ResultPtr res = run(
        "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = CAST($1 AS regclass) "
        "AND attnum > 0 AND NOT attisdropped",
        params);
    std::vector<BinaryCopyEncoder::Column> out;
    for (const auto column : columns) {
      BinaryCopyEncoder::Column c{std::string(column), 0};
      for (int row = 0; row < PQntuples(res.get()); ++row) {
        if (column == PQgetvalue(res.get(), row, 0)) {
          c.type = static_cast<unsigned>(std::strtoul(PQgetvalue(res.get(), row, 1), nullptr, 10));
        }
      }
      if (c.type == 0) throw Error("42703", fmt::format("column \"{}\" of relation \"{}\" does not exist", column, table));
      out.push_back(std::move(c));
    }
    return out;
  }

  void simple(const char* sql) {
    ResultPtr res(PQexecParams(conn_.get(), sql, 0, nullptr, nullptr, nullptr, nullptr, 0));
    check(res.get());
  }

  void rollback_quietly() {
    if (broken()) return;
    ResultPtr res(PQexecParams(conn_.get(), "ROLLBACK", 0, nullptr, nullptr, nullptr, nullptr, 0));
  }

  // Throws for a failed statement; a lost connection becomes ConnectionError (08006).
  void check(const PGresult* res) {
    const auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (res && status != PGRES_FATAL_ERROR && status != PGRES_BAD_RESPONSE &&
        status != PGRES_NONFATAL_ERROR) {
      return;
    }
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    if (PQstatus(conn_.get()) != CONNECTION_OK || state == nullptr) {
      lost_ = true;
      throw ConnectionError(state ? state : "08006",
                            fmt::format("connection to PostgreSQL at {}:{} lost: {}",
                                        PQhost(conn_.get()), PQport(conn_.get()),
                                        one_line(PQerrorMessage(conn_.get()))));
    }
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    std::string message = fmt::format("{} (SQLSTATE {})", primary ? primary : "error", state);
    if (detail) message += fmt::format(": {}", detail);
    throw_error(state, message);
  }

  // Walks a result's rows as views: NULL as nullopt, a timestamptz cell in the UTC ISO form
  // every backend returns (docs/database.md), everything else as the server sent it.
  static void visit_rows(const PGresult* res, const std::function<void(const RowView&)>& visit) {
    const int rows = PQntuples(res);
    const int cols = PQnfields(res);
    std::vector<bool> is_timestamptz;
    for (int c = 0; c < cols; ++c) is_timestamptz.push_back(PQftype(res, c) == kTimestamptz);
    std::vector<std::optional<std::string_view>> cells(static_cast<std::size_t>(cols));
    std::vector<std::string> utc(static_cast<std::size_t>(cols));
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        auto& cell = cells[static_cast<std::size_t>(c)];
        if (PQgetisnull(res, r, c)) {
          cell.reset();
          continue;
        }
        cell.emplace(PQgetvalue(res, r, c), PQgetlength(res, r, c));
        if (is_timestamptz[c] && to_utc_iso(*cell, utc[static_cast<std::size_t>(c)])) {
          cell.emplace(utc[static_cast<std::size_t>(c)]);
        }
      }
      visit(RowView(cells));
    }
  }

  static void visit_binary_rows(const PGresult* res, const std::function<void(const RowView&)>& visit) {
    const int rows = PQntuples(res);
    const int cols = PQnfields(res);
    std::vector<unsigned> types;
    for (int c = 0; c < cols; ++c) types.push_back(PQftype(res, c));
    std::vector<std::optional<std::string_view>> cells(static_cast<std::size_t>(cols));
    std::vector<std::string> rendered(static_cast<std::size_t>(cols));
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        const auto i = static_cast<std::size_t>(c);
        if (PQgetisnull(res, r, c)) {
          cells[i].reset();
          continue;
        }
        const std::string_view bytes(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c)));
        if (binary_cell_is_text(types[i])) {
          cells[i] = bytes;
        } else if (render_binary_cell(types[i], bytes, rendered[i])) {
          cells[i] = rendered[i];
        } else {
          throw Error("22023", fmt::format("column \"{}\" (type oid {}): a value this reader cannot render",
                                           PQfname(res, c), types[i]));
        }
      }
      visit(RowView(cells));
    }
  }

  static Result to_result(const PGresult* res) {
    auto data = std::make_shared<ResultData>();
    const int rows = PQntuples(res);
    const int cols = PQnfields(res);
    data->columns.reserve(cols);
    for (int c = 0; c < cols; ++c) data->columns.emplace_back(PQfname(res, c));
    data->cells.reserve(static_cast<std::size_t>(rows) * cols);
    visit_rows(res, [&](const RowView& row) {
      for (std::size_t c = 0; c < row.size(); ++c) {
        if (const auto cell = row[c]) {
          data->cells.emplace_back(std::string(*cell));
        } else {
          data->cells.emplace_back(std::nullopt);
        }
      }
    });
    const char* tuples = PQcmdTuples(const_cast<PGresult*>(res));
    data->affected_rows = (tuples && *tuples) ? std::atoll(tuples) : rows;
    return Result(std::move(data));
  }

  std::unique_ptr<PGconn, PgConnDeleter> conn_;
  bool lost_ = false;
};

}  // namespace

std::unique_ptr<Connection> connect_postgres(const std::string& url) {
  // Network defaults for a link that dies without a reset (a host cut off, a dropped route):
  // without them a connect waits ~2 min for SYN retries and a statement ~15 min for TCP to give
  // up. They come before the URL, so a value the URL sets itself wins (expand_dbname).
  static const char* const keywords[] = {"connect_timeout",  "keepalives",          "keepalives_idle",
                                         "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                                         "dbname",           nullptr};
  const char* const values[] = {"10", "1", "30", "10", "3", "60000", url.c_str(), nullptr};
  PGconn* raw = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr) throw ConnectionError("08001", "could not allocate a PostgreSQL connection");
  std::unique_ptr<PGconn, PgConnDeleter> conn(raw);
  if (PQstatus(raw) != CONNECTION_OK) {
    const char* host = PQhost(raw);
    const char* port = PQport(raw);
    throw ConnectionError("08001", fmt::format("could not connect to PostgreSQL at {}:{}: {}",
                                               host && *host ? host : "(default)",
                                               port && *port ? port : "5432",
                                               one_line(PQerrorMessage(raw))));
  }
  // Server notices ("relation already exists, skipping") go to the debug log, not stderr.
  PQsetNoticeProcessor(
      raw, [](void*, const char* message) { spdlog::debug("postgres notice: {}", one_line(message)); },
      nullptr);
  return std::make_unique<PgConnection>(conn.release());
}

}  // namespace scrapersky::db::internal
