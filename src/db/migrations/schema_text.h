#pragma once
// The dialect differences of the schema text, shared by every migration: column types,
// defaults, and the status CHECK constraints generated from model::EnumNames.
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "db/dialect.h"
#include "model/enums.h"

namespace scrapersky::db::internal {

struct Types {
  Dialect d;
  // Ids are generated in C++ (model::new_uuid_v4); PostgreSQL stores them as uuid.
  const char* uuid() const { return d == Dialect::kPostgres ? "uuid" : "text"; }
  // UTC instants: timestamptz, or ISO-8601 "YYYY-MM-DDTHH:MM:SSZ" text on SQLite.
  const char* time() const { return d == Dialect::kPostgres ? "timestamptz" : "text"; }
  const char* now() const {
    return d == Dialect::kPostgres ? "now()" : "(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";
  }
  const char* json() const { return d == Dialect::kPostgres ? "jsonb" : "text"; }
  // A never-exposed ingest key: 8 bytes instead of a random 16-byte uuid.
  const char* identity_pk() const {
    return d == Dialect::kPostgres ? "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
                                   : "INTEGER PRIMARY KEY";
  }
  std::string created_updated() const {
    return fmt::format("created_at {0} NOT NULL DEFAULT {1}, updated_at {0} NOT NULL DEFAULT {1}",
                       time(), now());
  }
  std::string lease() const {
    return fmt::format("claimed_by text, lease_expires_at {}", time());
  }
};

// "CONSTRAINT ck_<table>_<column> CHECK (<column> IN ('a', 'b'))" from the C++ enum.
template <typename E>
std::string check_in(std::string_view table, std::string_view column) {
  std::string list;
  for (const auto value : model::EnumNames<E>::values) {
    if (!list.empty()) list += ", ";
    list += '\'';
    for (const char c : value) list += (c == '\'' ? std::string("''") : std::string(1, c));
    list += '\'';
  }
  return fmt::format("CONSTRAINT ck_{0}_{1} CHECK ({1} IN ({2}))", table, column, list);
}

}  // namespace scrapersky::db::internal
