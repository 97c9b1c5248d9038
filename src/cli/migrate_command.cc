// `scrapersky migrate`: brings the schema to the newest version and prints it.
#include <iostream>

#include "cli/commands.h"
#include "config/settings.h"
#include "db/engine.h"
#include "db/migrations/migrations.h"

namespace scrapersky::cli {

int run_migrate() {
  const config::Settings settings = config::load_settings(config::Source::from_environment());
  auto engine = db::Engine::create(settings);
  try {
    std::cout << "schema version " << db::migrate(*engine) << "\n";
    return kExitOk;
  } catch (const db::ConnectionError& e) {
    std::cerr << "scrapersky: database " << engine->masked_url() << " unreachable: " << e.what()
              << "\n";
    return kExitFailed;
  }
}

}  // namespace scrapersky::cli
