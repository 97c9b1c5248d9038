#pragma once
// The current time as the UTC text every table stores ("YYYY-MM-DDTHH:MM:SSZ"), passed as a
// parameter so the same statements run on PostgreSQL and SQLite.
#include <string>

namespace scrapersky::store {

std::string utc_now();

}  // namespace scrapersky::store
