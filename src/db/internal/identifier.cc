#include <cctype>

#include "db/internal/connection.h"

namespace scrapersky::db::internal {

void check_identifier(std::string_view name) {
  bool ok = !name.empty();
  for (const char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) ok = false;
  }
  if (!ok) throw Error("42602", "invalid identifier '" + std::string(name) + "'");
}

}  // namespace scrapersky::db::internal
