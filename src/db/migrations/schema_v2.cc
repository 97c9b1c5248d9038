// Schema version 2: exact row counts kept by triggers (docs/database.md, "Counted tables").
// The unfiltered domain list is the busiest read of the v3 UI, and COUNT(*) over every row
// on each request cost more than the page itself. The count row changes in the inserting or
// deleting transaction, so it is exact in every snapshot; UPDATEs never touch it.
#include <fmt/format.h>

#include "db/migrations/migrations.h"

namespace scrapersky::db::internal {

std::vector<std::string> schema_v2(Dialect dialect) {
  std::vector<std::string> statements = {
      "CREATE TABLE row_counts (table_name text PRIMARY KEY, row_count bigint NOT NULL)",
      "INSERT INTO row_counts (table_name, row_count) SELECT 'domains', count(*) FROM domains",
  };
  if (dialect == Dialect::kPostgres) {
    // Statement-level triggers with transition tables: one counter update per statement.
    statements.push_back(R"SQL(
CREATE FUNCTION row_counts_track() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE row_counts SET row_count = row_count + (SELECT count(*) FROM counted_new_rows)
    WHERE table_name = TG_TABLE_NAME;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE row_counts SET row_count = row_count - (SELECT count(*) FROM counted_old_rows)
    WHERE table_name = TG_TABLE_NAME;
  ELSE
    UPDATE row_counts SET row_count = 0 WHERE table_name = TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END
$body$)SQL");
    statements.push_back(
        "CREATE TRIGGER domains_count_insert AFTER INSERT ON domains "
        "REFERENCING NEW TABLE AS counted_new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION row_counts_track()");
    statements.push_back(
        "CREATE TRIGGER domains_count_delete AFTER DELETE ON domains "
        "REFERENCING OLD TABLE AS counted_old_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION row_counts_track()");
    statements.push_back(
        "CREATE TRIGGER domains_count_truncate AFTER TRUNCATE ON domains "
        "FOR EACH STATEMENT EXECUTE FUNCTION row_counts_track()");
  } else {
    statements.push_back(
        "CREATE TRIGGER domains_count_insert AFTER INSERT ON domains BEGIN "
        "UPDATE row_counts SET row_count = row_count + 1 WHERE table_name = 'domains'; END");
    statements.push_back(
        "CREATE TRIGGER domains_count_delete AFTER DELETE ON domains BEGIN "
        "UPDATE row_counts SET row_count = row_count - 1 WHERE table_name = 'domains'; END");
  }
  return statements;
}

}  // namespace scrapersky::db::internal
