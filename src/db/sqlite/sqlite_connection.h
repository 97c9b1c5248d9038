#pragma once
// An SQLite connection (private to src/db/): WAL, busy_timeout, foreign_keys=ON. $N
// placeholders are rewritten to ?N; errors map to the nearest SQLSTATE class.
#include <chrono>
#include <memory>
#include <string>

#include "db/internal/connection.h"

namespace scrapersky::db::internal {

// Opens (creating if needed) the database file at `path`. Throws ConnectionError.
std::unique_ptr<Connection> connect_sqlite(const std::string& path,
                                           std::chrono::milliseconds busy_timeout);

// "SELECT $1, '$2'" -> "SELECT ?1, '$2'" (string literals and quoted names are left alone).
std::string sqlite_placeholders(std::string_view sql);

}  // namespace scrapersky::db::internal
