#pragma once
// Helpers for the worker tests: one fresh database per test (tests/support/scratch_db.h: an
// SQLite file in a temporary directory, or a new PostgreSQL database reached through
// PgBouncer, dropped afterwards) and polling with a deadline.
#include <chrono>
#include <thread>

#include "support/scratch_db.h"

namespace scrapersky::jobs_testing {

using test_support::psql;
using test_support::TempDir;
using test_support::TestDatabase;
using test_support::with_database;

// Polls `condition` until it holds or `limit` passes; returns whether it held.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return condition();
}

}  // namespace scrapersky::jobs_testing
