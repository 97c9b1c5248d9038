#pragma once
// Which SQL dialect a connection speaks. Code outside src/db/ should rarely need it: the
// statements repositories write ($1 placeholders, CAST, ON CONFLICT) work on both backends.
namespace scrapersky::db {

enum class Dialect { kPostgres, kSqlite };

}  // namespace scrapersky::db
