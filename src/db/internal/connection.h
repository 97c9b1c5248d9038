#pragma once
// Private to src/db/: one driver connection behind a dialect-neutral interface. The pool,
// sessions and units of work are written against this; postgres/ and sqlite/ implement it.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "db/appender.h"
#include "db/dialect.h"
#include "db/result.h"

namespace scrapersky::db::internal {

enum class TxStatus { kIdle, kInTransaction, kFailed, kUnknown };

// The backend half of a db::Appender: takes one row's cells in column order, then end_row().
// Throws the db::Error family; after a throw the sink is done (the transaction has failed).
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void text(std::string_view value) = 0;
  virtual void null() = 0;
  virtual void integer(std::int64_t value) = 0;
  virtual void real(double value) = 0;
  virtual void boolean(bool value) = 0;
  virtual void utc_seconds(std::int64_t unix_seconds) = 0;
  virtual void end_row() = 0;
  // Ends the write; returns the rows the backend reports written.
  virtual std::int64_t finish() = 0;
  // Ends the write without keeping it (the destructor's path); never throws.
  virtual void abandon() noexcept = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // One statement with $1..$N placeholders. Throws the db::Error family.
  virtual Result exec(std::string_view sql, std::span<const Value> params) = 0;
  // One SELECT whose rows are handed to `visit` one at a time as views (no Result is built).
  virtual void for_each_row(std::string_view sql, std::span<const Value> params,
                            const std::function<void(const RowView&)>& visit) = 0;
  // Starts a bulk write of rows into `table` (names checked by check_identifier). No other
  // statement may run on this connection until the sink has finished or been abandoned.
  virtual std::unique_ptr<RowSink> append(std::string_view table,
                                          std::span<const std::string_view> columns,
                                          CopyFormat format) = 0;
  // Settings for bulk loads on or off (SQLite's writer: page cache and checkpoint interval);
  // called before a write unit begins. Nothing by default.
  virtual void set_bulk_load(bool) {}
  virtual void begin(bool write) = 0;
  // Throws CommitFailed unless the server confirms the commit.
  virtual void commit() = 0;
  virtual void rollback() = 0;
  virtual TxStatus status() const = 0;
  // Lost (socket closed, server gone): never to be reused.
  virtual bool broken() const = 0;
  // A round trip proving the connection works (pool_pre_ping).
  virtual bool ping() = 0;
};

// Checks a table or column name (letters, digits, '_', one optional '.') before it is
// spliced into SQL text; throws Error otherwise.
void check_identifier(std::string_view name);

}  // namespace scrapersky::db::internal
