#include "db/sqlite/sqlite_connection.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cctype>
#include <functional>
#include <optional>
#include <stdexcept>
#include <vector>

#include "db/timestamps.h"

namespace scrapersky::db::internal {
namespace {

struct DbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// The nearest PostgreSQL SQLSTATE for an SQLite extended result code.
const char* sqlstate_for(int extended) {
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return "23505";
    case SQLITE_CONSTRAINT_FOREIGNKEY: return "23503";
    case SQLITE_CONSTRAINT_NOTNULL: return "23502";
    case SQLITE_CONSTRAINT_CHECK: return "23514";
    default: break;
  }
  switch (extended & 0xff) {
    case SQLITE_CONSTRAINT: return "23000";
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return "55P03";  // lock_not_available
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB: return "08006";
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG: return "22000";
    case SQLITE_READONLY: return "25006";
    case SQLITE_FULL:
    case SQLITE_IOERR: return "58030";
    case SQLITE_CORRUPT: return "XX001";
    case SQLITE_ERROR: return "42000";
    default: return "XX000";
  }
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  Dialect dialect() const override { return Dialect::kSqlite; }

  Result exec(std::string_view sql, std::span<const Value> params) override {
    const std::string text = sqlite_placeholders(sql);
    StmtPtr stmt = prepare(text);
    if (!stmt) return Result();  // empty statement
    bind(stmt.get(), params, 0);
    return run(stmt.get());
  }

  void for_each_row(std::string_view sql, std::span<const Value> params,
                    const std::function<void(const RowView&)>& visit) override {
    StmtPtr stmt = prepare(sqlite_placeholders(sql));
    if (!stmt) return;
    bind(stmt.get(), params, 0);
    const int cols = sqlite3_column_count(stmt.get());
    std::vector<std::optional<std::string_view>> cells(static_cast<std::size_t>(cols));
    for (;;) {
      const int rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(rc);
      for (int c = 0; c < cols; ++c) {
        auto& cell = cells[static_cast<std::size_t>(c)];
        if (sqlite3_column_type(stmt.get(), c) == SQLITE_NULL) {
          cell.reset();
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), c));
          cell.emplace(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), c)));
        }
      }
      visit(RowView(cells));
    }
  }

  // One INSERT stepped per row, whatever the CopyFormat.
  std::unique_ptr<RowSink> append(std::string_view table, std::span<const std::string_view> columns,
                                  CopyFormat) override {
    check_identifier(table);
    for (const auto c : columns) check_identifier(c);
    if (columns.empty()) throw Error("22023", "a bulk write needs at least one column");
    return std::make_unique<InsertSink>(*this, prepare(insert_sql(table, columns)),
                                        columns.size());
  }

  // Measured with bench/scan's rows (docs/database.md, "SQLite during bulk loads"): random
  // inserts into the (sitemap_file_id, url) index thrash the default 2 MB page cache; 8 MiB
  // halves a load's time, and a 10,000-page checkpoint interval saves rewriting hot pages.
  void set_bulk_load(bool on) override {
    if (on == bulk_load_) return;
    exec(on ? "PRAGMA cache_size = -8192" : "PRAGMA cache_size = -2000", {});
    exec(on ? "PRAGMA wal_autocheckpoint = 10000" : "PRAGMA wal_autocheckpoint = 1000", {});
    bulk_load_ = on;
  }

  void begin(bool write) override { exec(write ? "BEGIN IMMEDIATE" : "BEGIN", {}); }

  void commit() override {
    if (sqlite3_get_autocommit(db_.get())) {
      throw CommitFailed("25000", "commit failed: no transaction in progress");
    }
    try {
      exec("COMMIT", {});
    } catch (const Error& e) {
      if (!sqlite3_get_autocommit(db_.get())) rollback_quietly();
      throw CommitFailed(e.sqlstate(), std::string("commit failed: ") + e.what());
    }
    if (!sqlite3_get_autocommit(db_.get())) {
      rollback_quietly();
      throw CommitFailed("40000", "commit failed: the transaction is still open after COMMIT");
    }
  }

  void rollback() override {
    if (!sqlite3_get_autocommit(db_.get())) exec("ROLLBACK", {});
  }

  TxStatus status() const override {
    return sqlite3_get_autocommit(db_.get()) ? TxStatus::kIdle : TxStatus::kInTransaction;
  }

  bool broken() const override { return false; }

  bool ping() override { return true; }  // a file, not a socket: nothing to lose

 private:
  // One prepared single-row INSERT, bound and stepped per row: in-process, a row costs one
  // VDBE run and no SQL text, which is as close to the shell's INSERT ... SELECT as the API gets.
  class InsertSink final : public RowSink {
   public:
    InsertSink(SqliteConnection& connection, StmtPtr stmt, std::size_t columns)
        : connection_(connection), stmt_(std::move(stmt)), columns_(columns), stamps_(columns) {}

    void text(std::string_view value) override {
      check(sqlite3_bind_text64(stmt_.get(), next_cell(), value.data(), value.size(), SQLITE_STATIC,
                                SQLITE_UTF8));
    }
    void null() override { check(sqlite3_bind_null(stmt_.get(), next_cell())); }
    void integer(std::int64_t value) override {
      check(sqlite3_bind_int64(stmt_.get(), next_cell(), value));
    }
    void real(double value) override { check(sqlite3_bind_double(stmt_.get(), next_cell(), value)); }
    void boolean(bool value) override {
      check(sqlite3_bind_int(stmt_.get(), next_cell(), value ? 1 : 0));
    }
    void utc_seconds(std::int64_t unix_seconds) override {
      const int index = next_cell();
      std::string& stamp = stamps_[static_cast<std::size_t>(index - 1)];
      stamp.clear();
      try {
        append_utc_seconds(stamp, unix_seconds);
      } catch (const std::out_of_range& e) {
        throw Error("22008", e.what());
      }
      check(sqlite3_bind_text64(stmt_.get(), index, stamp.data(), stamp.size(), SQLITE_STATIC,
                                SQLITE_UTF8));
    }
    void end_row() override {
      if (cells_ != columns_) {
        throw Error("22023", fmt::format("a row of {} cells for {} columns", cells_, columns_));
      }
      cells_ = 0;
      const int rc = sqlite3_step(stmt_.get());
      sqlite3_reset(stmt_.get());
      if (rc != SQLITE_DONE) connection_.fail(rc);
      ++rows_;
    }
    std::int64_t finish() override {
      if (cells_ != 0) throw Error("22023", "the last row was not ended");
      stmt_.reset();
      return rows_;
    }
    void abandon() noexcept override { stmt_.reset(); }

   private:
    int next_cell() {
      if (cells_ == columns_) throw Error("22023", fmt::format("more than {} cells in a row", columns_));
      return static_cast<int>(++cells_);
    }
    void check(int rc) {
      if (rc != SQLITE_OK) connection_.fail(rc);
    }

    SqliteConnection& connection_;
    StmtPtr stmt_;
    const std::size_t columns_;
    std::size_t cells_ = 0;
    std::int64_t rows_ = 0;
    std::vector<std::string> stamps_;  // formatted timestamps, bound until the row is stepped
  };

  static std::string insert_sql(std::string_view table, std::span<const std::string_view> columns) {
    std::string sql = fmt::format("INSERT INTO {} (", table);
    std::string values = ") VALUES (";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      sql += (i ? ", " : "");
      sql += columns[i];
      values += (i ? ",?" : "?");
    }
    return sql + values + ")";
  }

  void rollback_quietly() {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  [[noreturn]] void fail(int rc) {
    const int extended = sqlite3_extended_errcode(db_.get());
    const std::string message = sqlite3_errmsg(db_.get());
    const char* state = sqlstate_for(extended ? extended : rc);
    throw_error(state, fmt::format("{} (SQLSTATE {}, SQLite code {})", message, state, extended));
  }

  StmtPtr prepare(const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) fail(rc);
    if (tail && std::any_of(tail, sql.c_str() + sql.size(),
                            [](char c) { return !std::isspace(static_cast<unsigned char>(c)) && c != ';'; })) {
      throw Error("42601", "one statement per call (found more SQL after the first statement)");
    }
    return stmt;
  }

  void bind(sqlite3_stmt* stmt, std::span<const Value> params, int offset) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = offset + static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, index, *d);
      } else if (const auto* b = std::get_if<bool>(&v)) {
        rc = sqlite3_bind_int(stmt, index, *b ? 1 : 0);
      } else {
        const auto& s = std::get<std::string>(v);
        rc = sqlite3_bind_text64(stmt, index, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) fail(rc);
    }
  }

  Result run(sqlite3_stmt* stmt) {
    auto data = std::make_shared<ResultData>();
    const int cols = sqlite3_column_count(stmt);
    for (int c = 0; c < cols; ++c) data->columns.emplace_back(sqlite3_column_name(stmt, c));
    std::int64_t rows = 0;
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(rc);
      ++rows;
      for (int c = 0; c < cols; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          data->cells.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          data->cells.emplace_back(std::string(text, sqlite3_column_bytes(stmt, c)));
        }
      }
    }
    data->affected_rows = sqlite3_stmt_readonly(stmt) ? rows : sqlite3_changes(db_.get());
    return Result(std::move(data));
  }

  std::unique_ptr<sqlite3, DbDeleter> db_;
  bool bulk_load_ = false;
};

}  // namespace

std::string sqlite_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '$' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out += '?';
      continue;
    }
    out += c;
  }
  return out;
}

std::unique_ptr<Connection> connect_sqlite(const std::string& path,
                                           std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  std::unique_ptr<sqlite3, DbDeleter> db(raw);
  if (rc != SQLITE_OK) {
    throw ConnectionError("08001", fmt::format("could not open SQLite database {}: {}", path,
                                               raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(busy_timeout.count()));
  auto conn = std::make_unique<SqliteConnection>(db.release());
  // Switching to WAL needs an exclusive lock, and SQLite may answer SQLITE_BUSY at once,
  // without its busy handler, while other processes open or migrate the same new file (seen
  // with four processes migrating at once). The switch is retried until busy_timeout.
  const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
  for (auto pause = std::chrono::milliseconds(5);; pause = std::min(pause * 2, std::chrono::milliseconds(200))) {
    try {
      conn->exec("PRAGMA journal_mode=WAL", {});
      conn->exec("PRAGMA foreign_keys=ON", {});
      conn->exec("PRAGMA synchronous=NORMAL", {});
      return conn;
    } catch (const Error& e) {
      if (e.sqlstate() != "55P03" || std::chrono::steady_clock::now() + pause > deadline) {
        throw ConnectionError("08001", fmt::format("could not configure SQLite database {}: {}",
                                                   path, e.what()));
      }
    }
    std::this_thread::sleep_for(pause);
  }
}

}  // namespace scrapersky::db::internal
