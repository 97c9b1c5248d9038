#pragma once
// The database layer's one exception family. Every error carries a SQLSTATE (PostgreSQL's own
// code, or the nearest class for SQLite and for failures detected on the client side), and no
// message ever contains a password: URLs appear masked (config::mask_db_url).
#include <stdexcept>
#include <string>
#include <string_view>

namespace scrapersky::db {

class Error : public std::runtime_error {
 public:
  Error(std::string sqlstate, const std::string& message, std::string cause_sqlstate = {})
      : std::runtime_error(message),
        sqlstate_(std::move(sqlstate)),
        cause_sqlstate_(std::move(cause_sqlstate)) {}
  // Five characters ("23505"), or empty when the failure has no SQL meaning (pool timeout).
  const std::string& sqlstate() const { return sqlstate_; }
  // For a unit of work refused because an earlier statement failed (TransactionFailed,
  // CommitFailed "25P02"): that statement's SQLSTATE, so callers can still tell a lost
  // connection (class 08) from a constraint violation. Empty otherwise.
  const std::string& cause_sqlstate() const { return cause_sqlstate_; }

 private:
  std::string sqlstate_;
  std::string cause_sqlstate_;
};

// Class 08: connecting failed, or the connection was lost during a statement. The message
// names host and port (or the SQLite path), never the password.
class ConnectionError : public Error {
  using Error::Error;
};

// A background writer's retry budget (db::RetryPolicy) ran out while the database stayed
// unreachable. The message names what was being done, for how long, and the last error.
class RetryBudgetExhausted : public ConnectionError {
  using ConnectionError::ConnectionError;
};

// No connection became free within pool_timeout. The message is SQLAlchemy's:
// "pool limit of size 5 overflow 10 reached, connection timed out, timeout 30".
class PoolTimeout : public Error {
 public:
  explicit PoolTimeout(const std::string& message) : Error("", message) {}
};

// Class 23: unique_violation (23505), foreign_key_violation (23503), not_null (23502), check (23514).
class IntegrityError : public Error {
  using Error::Error;
};

// Class 22: a value the column or cast cannot take.
class DataError : public Error {
  using Error::Error;
};

// 40001 / 40P01: serialization failure or deadlock; the whole unit of work may be retried.
class SerializationError : public Error {
  using Error::Error;
};

// A statement on a unit of work that already failed: "transaction failed earlier: <first error>".
class TransactionFailed : public Error {
  using Error::Error;
};

// COMMIT did not commit: the server answered ROLLBACK, raised an error (deferred constraints),
// or the transaction was not in a committable state. Nothing of the unit of work was kept.
class CommitFailed : public Error {
  using Error::Error;
};

// The database schema is older than this build; on PostgreSQL run `scrapersky migrate`.
class SchemaBehind : public Error {
 public:
  explicit SchemaBehind(const std::string& message) : Error("", message) {}
};

// Throws the Error subclass that matches `sqlstate`'s class.
[[noreturn]] void throw_error(std::string_view sqlstate, const std::string& message);

}  // namespace scrapersky::db
