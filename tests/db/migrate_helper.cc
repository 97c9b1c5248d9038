// Test helper: `db_migrate_helper <database-url>` migrates and prints the schema version.
// The migration tests start several of these at once to prove concurrent runs are safe.
#include <iostream>

#include "config/settings.h"
#include "db/engine.h"
#include "db/migrations/migrations.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: db_migrate_helper <database-url>\n";
    return 2;
  }
  try {
    scrapersky::config::Settings settings;
    settings.database_url = argv[1];
    auto engine = scrapersky::db::Engine::create(settings);
    std::cout << scrapersky::db::migrate(*engine) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "db_migrate_helper: " << e.what() << "\n";
    return 1;
  }
}
