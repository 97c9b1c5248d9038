#pragma once
// A libpq connection (private to src/db/). Transaction-mode pooler safe by construction: every
// statement is an unnamed PQexecParams call, nothing session-level is ever sent.
#include <memory>
#include <string>

#include "db/internal/connection.h"

namespace scrapersky::db::internal {

// Connects with the URL exactly as configured. Throws ConnectionError naming host and port.
std::unique_ptr<Connection> connect_postgres(const std::string& url);

}  // namespace scrapersky::db::internal
