#include "cli/commands.h"

#include <iostream>

#include "config/settings.h"

namespace scrapersky::cli {

int run_command(const std::function<int()>& command) {
  try {
    return command();
  } catch (const config::Error& e) {
    std::cerr << "scrapersky: configuration error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "scrapersky: " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace scrapersky::cli
