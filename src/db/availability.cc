#include "db/availability.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <thread>

#include "db/migrations/migrations.h"

namespace scrapersky::db {
namespace {

constexpr std::chrono::milliseconds kStopCheck{50};

// Sleeps `delay`, waking early when `stop` becomes true. Returns false when stopped.
bool sleep_unless_stopped(std::chrono::milliseconds delay, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!stop) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, kStopCheck));
  }
  return false;
}

}  // namespace

bool is_connection_state(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

bool is_connection_failure(const Error& error) {
  if (dynamic_cast<const ConnectionError*>(&error) != nullptr) return true;
  return is_connection_state(error.sqlstate()) || is_connection_state(error.cause_sqlstate());
}

bool is_transient(const Error& error) {
  if (dynamic_cast<const RetryBudgetExhausted*>(&error) != nullptr) return false;
  const auto serialization = [](std::string_view state) {
    return state == "40001" || state == "40P01";
  };
  return dynamic_cast<const PoolTimeout*>(&error) != nullptr ||
         dynamic_cast<const SerializationError*>(&error) != nullptr ||
         serialization(error.sqlstate()) || serialization(error.cause_sqlstate()) ||
         is_connection_failure(error);
}

std::chrono::milliseconds backoff_delay(const SchemaWait& wait, int failures, double unit_random) {
  // Doubling stops at the cap; counting the doublings avoids overflowing a shift.
  std::chrono::milliseconds nominal = wait.first_delay;
  for (int i = 1; i < failures && nominal < wait.max_delay; ++i) nominal *= 2;
  nominal = std::min(nominal, wait.max_delay);
  const double shortened = static_cast<double>(nominal.count()) * (1.0 - wait.jitter * unit_random);
  return std::chrono::milliseconds(static_cast<std::int64_t>(shortened));
}

bool wait_for_schema(Engine& engine, const std::atomic<bool>& stop, const SchemaWait& wait) {
  std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int failures = 0; !stop;) {
    try {
      ensure_schema(engine);
      if (failures > 0) {
        spdlog::info("database {} is available (after {} failed attempts)", engine.masked_url(),
                     failures);
      }
      return true;
    } catch (const Error& error) {
      if (!is_transient(error)) throw;
      ++failures;
      const auto delay = backoff_delay(wait, failures, unit(random));
      spdlog::warn("database {} not available (attempt {}: {}); retrying in {:.2f} s",
                   engine.masked_url(), failures, error.what(),
                   std::chrono::duration<double>(delay).count());
      if (!sleep_unless_stopped(delay, stop)) break;
    }
  }
  return false;
}

}  // namespace scrapersky::db
