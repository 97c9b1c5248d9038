#pragma once
// Which SQL dialect a connection speaks. Code outside src/db/ should rarely need it: the
// statements repositories write ($1 placeholders, CAST, ON CONFLICT) work on both backends.
#include <string_view>

namespace scrapersky::db {

enum class Dialect { kPostgres, kSqlite };

// The row-lock suffix of a queue claim's SELECT: " FOR UPDATE SKIP LOCKED" on PostgreSQL, so
// concurrent claimers pass over each other's rows; empty on SQLite, where a write unit of work
// (BEGIN IMMEDIATE) already serialises every claimer.
constexpr std::string_view skip_locked(Dialect dialect) {
  return dialect == Dialect::kPostgres ? " FOR UPDATE SKIP LOCKED" : "";
}

}  // namespace scrapersky::db
