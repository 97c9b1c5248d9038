#pragma once
// Private to src/db/: one driver connection behind a dialect-neutral interface. The pool,
// sessions and units of work are written against this; postgres/ and sqlite/ implement it.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "db/dialect.h"
#include "db/result.h"

namespace scrapersky::db::internal {

enum class TxStatus { kIdle, kInTransaction, kFailed, kUnknown };

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // One statement with $1..$N placeholders. Throws the db::Error family.
  virtual Result exec(std::string_view sql, std::span<const Value> params) = 0;
  // Writes row-major `cells` (columns.size() per row) in as few round trips as possible.
  virtual std::int64_t copy_rows(std::string_view table, std::span<const std::string_view> columns,
                                 std::span<const Value> cells) = 0;
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
